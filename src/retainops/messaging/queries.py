"""Reads of the outbox, scoped to what the person may see.

The outbox is for people who manage messages; even they see only the
messages of clients in their business units (plus those naming no client,
which belong to no unit). Anyone who sees a client sees its messages.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from retainops.clients.models import Client
from retainops.clients.queries import visible_clients
from retainops.core.access import sees_all_units
from retainops.core.capabilities import Capability
from retainops.messaging.models import Message


@dataclass(frozen=True)
class MessageFilters:
    """What a person asked of the outbox; every field optional."""

    state: str = ""
    channel: str = ""
    client_name: str = ""
    client_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.state or self.channel or self.client_name or self.client_id)


def _with_parts(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.select_related(
        "client", "created_by", "webhook", "run__version__playbook"
    ).prefetch_related("recipients")


def visible_messages(user: Any) -> QuerySet[Message]:
    """Messages a manager may read; nothing for anyone who does not manage messages."""
    if not getattr(user, "is_authenticated", False) or not user.has_capability(
        Capability.MANAGE_MESSAGES
    ):
        return Message.objects.none()
    if sees_all_units(user):
        return _with_parts(Message.objects.all())
    no_client = Q(client__isnull=True)
    return _with_parts(Message.objects.filter(no_client | Q(client__in=visible_clients(user))))


def filter_messages(user: Any, filters: MessageFilters) -> QuerySet[Message]:
    """The outbox with the person's filters applied, newest first."""
    messages = visible_messages(user)
    if filters.state:
        messages = messages.filter(state=filters.state)
    if filters.channel:
        messages = messages.filter(channel=filters.channel)
    if filters.client_id is not None:
        messages = messages.filter(client_id=filters.client_id)
    if filters.client_name.strip():
        messages = messages.filter(client__name__icontains=filters.client_name.strip())
    return messages.order_by("-created_at", "-id")


def messages_for_client(client: Client) -> QuerySet[Message]:
    """Every message that concerns a client, newest first (the caller checked visibility)."""
    return (
        Message.objects.filter(client=client)
        .select_related("created_by", "webhook")
        .prefetch_related("recipients")
        .order_by("-created_at", "-id")
    )


def can_write_to(user: Any, client: Client) -> bool:
    """Whether the person may write an e-mail to the client (what write_to_client checks)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.has_capability(Capability.EDIT_CLIENT):
        return False
    return sees_all_units(user) or client.business_unit_id in user.unit_ids()
