"""What an import does to one client, and doing it through the client services.

The services check permissions, validate, and record who changed what on the
history rows, exactly as when someone uses the client pages.
"""

from dataclasses import dataclass
from functools import partial
from typing import Any

from retainops.clients import services
from retainops.clients.models import Client, Contact
from retainops.clients.transfer.columns import CONTACT_COLUMNS
from retainops.clients.transfer.writing import at, attempt
from retainops.core.models import BusinessUnit, Role, User

# The contact column each Contact field comes from, to place the services' complaints.
CONTACT_COLUMN_OF = {name: column for column, name in CONTACT_COLUMNS.items()}


@dataclass
class ContactPlan:
    """The main contact to add, or the changes to the client's contact with that e-mail."""

    contact: Contact | None  # the client's contact with that e-mail, if any
    data: dict[str, Any]


@dataclass
class ClientPlan:
    """What to do with one client row: create or update, and what to set."""

    row: int
    unit: BusinessUnit
    client: Client | None  # None: create one
    data: dict[str, Any]
    transitions: list[str]
    team: list[tuple[str, Role, User]]
    contact: ContactPlan | None

    def changes(self) -> bool:
        return bool(self.data or self.transitions or self.team or self.contact)

    def outcome(self) -> str:
        if self.client is None:
            return "created"
        return "updated" if self.changes() else "unchanged"

    def apply(self, by: Any) -> None:
        _apply_client(self, by)


def _apply_client(plan: ClientPlan, by: Any) -> None:
    """The record, then its team and contact, then the status steps (which may need them)."""
    client = plan.client
    if client is None:
        data = {"business_unit": plan.unit, **plan.data}
        client = attempt(
            lambda: services.create_client(by=by, data=data, announce=False), at(plan.row)
        )
    elif plan.data:
        update = partial(services.update_client, client=client, by=by, changes=plan.data)
        attempt(update, at(plan.row))
    for column, role, user in plan.team:
        assign = partial(services.assign_team_member, client=client, by=by, role=role, user=user)
        attempt(assign, at(plan.row, column))
    if plan.contact is not None:
        _apply_contact(plan.row, client, plan.contact, by)
    for name in plan.transitions:
        step = partial(services.change_client_status, client=client, by=by, transition_name=name)
        attempt(step, at(plan.row, "status"))


def _apply_contact(row: int, client: Client, plan: ContactPlan, by: Any) -> None:
    def locate(name: str) -> tuple[int, str]:
        return row, CONTACT_COLUMN_OF.get(name, "contact_email")

    if plan.contact is None:
        attempt(partial(services.add_contact, client=client, by=by, data=plan.data), locate)
    else:
        change = partial(services.update_contact, contact=plan.contact, by=by, changes=plan.data)
        attempt(change, locate)
