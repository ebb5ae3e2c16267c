"""Programs in the header's search, by their name or their client's."""

from typing import Any

from django.db.models import Q
from django.urls import reverse

from retainops.core.search import Hit, register_search
from retainops.onboarding.queries import visible_programs


def find_programs(user: Any, text: str, limit: int) -> list[Hit]:
    programs = (
        visible_programs(user)
        .filter(Q(name__icontains=text) | Q(client__name__icontains=text))
        .select_related("client")
        .order_by("name", "id")[:limit]
    )
    return [
        Hit(
            p.name,
            reverse("onboarding:program", args=[p.pk]),
            f"{p.client.name} · {p.get_status_display()}",
        )
        for p in programs
    ]


def register() -> None:
    register_search("programs", "Programs", 30, find_programs)
