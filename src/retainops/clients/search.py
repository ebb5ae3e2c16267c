"""Clients and contacts in the header's search, among the clients the person may see."""

from typing import Any

from django.db.models import Q
from django.urls import reverse

from retainops.clients.matching import name_or_crm_id
from retainops.clients.models import Contact
from retainops.clients.queries import visible_clients
from retainops.core.search import Hit, register_search


def find_clients(user: Any, text: str, limit: int) -> list[Hit]:
    # The same matcher as the client list's search, and so the same index.
    clients = (
        name_or_crm_id(visible_clients(user), text)
        .select_related("business_unit")
        .order_by("name", "id")[:limit]
    )
    return [
        Hit(
            c.name,
            reverse("clients:detail", args=[c.pk]),
            f"{c.get_status_display()} · {c.business_unit.name}",
        )
        for c in clients
    ]


def find_contacts(user: Any, text: str, limit: int) -> list[Hit]:
    contacts = (
        Contact.objects.filter(client__in=visible_clients(user))
        .filter(Q(name__icontains=text) | Q(email__icontains=text))
        .select_related("client")
        .order_by("name", "id")[:limit]
    )
    return [
        Hit(
            c.name,
            reverse("clients:detail", args=[c.client_id]),
            " · ".join(part for part in (c.email, c.title, c.client.name) if part),
        )
        for c in contacts
    ]


def register() -> None:
    register_search("clients", "Clients", 10, find_clients)
    register_search("contacts", "Contacts", 20, find_contacts)
