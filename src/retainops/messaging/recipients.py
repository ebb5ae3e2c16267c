"""Turning recipient specs into addresses.

A spec is one of:
  - an e-mail address                  dana@client.example
  - `user:<username>`                  a member of staff
  - `contact:<id>`                     a contact of the client
  - `contacts`                         every contact of the client
  - `role:<role code>`                 whoever holds the role on the client's team
  - `list:<code>`                      a distribution list (its members are any of the above)
Roles and contacts need the message to name a client. Unknown specs are
refused naming the spec; nothing is queued.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from retainops.clients.models import ClientTeamMember, Contact
from retainops.core.models import User
from retainops.core.schemas import parse_id
from retainops.messaging.choices import MemberKind
from retainops.messaging.models import DistributionList


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    source: str


# People a caller has loaded already, by username (a sweep's batch loads them together).
Known = Mapping[str, Any]


def _user(username: str, source: str, known: Known) -> list[Recipient]:
    if username in known:
        user = known[username] if known[username].is_active else None
    else:
        user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValueError(f"no active user is called {username!r}")
    if not user.email:
        raise ValueError(f"user {username!r} has no e-mail address")
    return [Recipient(user.email, str(user), source)]


def _contacts(client: Any, source: str, contact_id: int | None = None) -> list[Recipient]:
    if client is None:
        raise ValueError("contacts need the message to name a client")
    contacts = Contact.objects.filter(client=client)
    if contact_id is not None:
        contacts = contacts.filter(pk=contact_id)
        if not contacts.exists():
            raise ValueError(f"contact {contact_id} is not a contact of {client}")
    return [Recipient(c.email, c.name, source) for c in contacts]


def _role(client: Any, code: str, source: str) -> list[Recipient]:
    if client is None:
        raise ValueError("a role needs the message to name a client")
    member = (
        ClientTeamMember.objects.select_related("user")
        .filter(client=client, role__code=code)
        .first()
    )
    if member is None:
        raise ValueError(f"{client} has no one in the role {code!r}")
    return [Recipient(member.user.email, str(member.user), source)] if member.user.email else []


def _list(code: str, client: Any, depth: int) -> list[Recipient]:
    found = DistributionList.objects.filter(code=code).first()
    if found is None:
        raise ValueError(f"no distribution list has the code {code!r}")
    resolved: list[Recipient] = []
    source = f"list:{code}"
    for member in found.members.select_related("user", "contact", "role"):
        if member.kind == MemberKind.USER and member.user and member.user.email:
            resolved.append(Recipient(member.user.email, str(member.user), source))
        elif member.kind == MemberKind.CONTACT and member.contact:
            resolved.append(Recipient(member.contact.email, member.contact.name, source))
        elif member.kind == MemberKind.ADDRESS and member.address:
            resolved.append(Recipient(member.address, "", source))
        elif member.kind == MemberKind.ROLE and member.role and client is not None:
            # A role on a list addresses the role-holder of the client the message concerns.
            resolved.extend(_role_if_held(client, member.role.code, source))
    return resolved


def _role_if_held(client: Any, code: str, source: str) -> list[Recipient]:
    try:
        return _role(client, code, source)
    except ValueError:
        return []


def _one(spec: str, client: Any, known: Known) -> list[Recipient]:
    kind, _, value = spec.partition(":")
    if spec == "contacts":
        return _contacts(client, spec)
    if kind == "user" and value:
        return _user(value, spec, known)
    if kind == "contact" and (contact_id := parse_id(value)):
        return _contacts(client, spec, contact_id)
    if kind == "role" and value:
        return _role(client, value, spec)
    if kind == "list" and value:
        return _list(value, client, 0)
    validate_email(spec)
    return [Recipient(spec, "", "address")]


def resolve_recipients(
    specs: list[str], client: Any, *, known_users: Known | None = None
) -> list[Recipient]:
    """Every address the specs name, once each (first mention wins). `known_users` are
    people already loaded, by username: a `user:` spec naming one is not looked up."""
    if not specs:
        raise ValidationError({"to": ["Name at least one recipient."]})
    problems: list[str] = []
    seen: dict[str, Recipient] = {}
    for spec in (s.strip() for s in specs):
        try:
            for recipient in _one(spec, client, known_users or {}):
                seen.setdefault(recipient.address.lower(), recipient)
        except ValidationError:
            problems.append(f"{spec!r} is neither an e-mail address nor a known recipient")
        except ValueError as error:
            problems.append(f"{spec!r}: {error}")
    if problems:
        raise ValidationError({"to": problems})
    if not seen:
        raise ValidationError({"to": ["These recipients have no e-mail address."]})
    return list(seen.values())
