"""Change requests in the header's search: by number ("#12" or "12"), client or reason."""

from typing import Any

from django.db.models import Q
from django.urls import reverse

from retainops.changes.queries import visible_requests
from retainops.core.schemas import parse_id
from retainops.core.search import Hit, register_search


def find_requests(user: Any, text: str, limit: int) -> list[Hit]:
    matches = Q(client__name__icontains=text) | Q(reason_text__icontains=text)
    number = parse_id(text.removeprefix("#"))
    if number is not None:
        matches |= Q(pk=number)
    requests = (
        visible_requests(user)
        .filter(matches)
        .select_related("client")
        .order_by("-raised_at", "-id")[:limit]
    )
    return [
        Hit(
            f"#{r.pk} {r.get_kind_display()}: {r.client.name}",
            reverse("changes:detail", args=[r.pk]),
            f"{r.get_status_display()} · effective {r.effective_date.isoformat()}",
        )
        for r in requests
    ]


def register() -> None:
    register_search("change_requests", "Change requests", 40, find_requests)
