"""Reads of complaints, always scoped to the person asking: what they may see, the lists
with their clocks, the counts of the navigation and the client page."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from retainops.clients.queries import visible_clients
from retainops.complaints.choices import OPEN_STATUSES, ComplaintStatus
from retainops.complaints.clocks import ClockReading, clock_reading
from retainops.complaints.models import Complaint, ImprovementAction, Theme


def visible_complaints(user: Any) -> QuerySet[Complaint]:
    """Complaints about the clients the person sees."""
    return Complaint.objects.filter(client__in=visible_clients(user))


def with_clock_data(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """What reading a complaint's clock needs, fetched with the list."""
    return complaints.select_related(
        "client__business_unit__complaint_calendar", "owner", "category"
    ).prefetch_related("pauses")


@dataclass(frozen=True)
class ComplaintFilter:
    """What a list of complaints is narrowed to; empty fields narrow nothing."""

    q: str = ""
    status: str = ""
    severity: str = ""
    open_only: bool = False
    mine: bool = False
    client_id: int | None = None
    theme_id: int | None = None


def filter_complaints(
    complaints: QuerySet[Complaint], wanted: ComplaintFilter, user: Any
) -> QuerySet[Complaint]:
    if wanted.q.strip():
        words = wanted.q.strip()
        complaints = complaints.filter(
            Q(summary__icontains=words)
            | Q(description__icontains=words)
            | Q(client__name__icontains=words)
        )
    if wanted.status:
        complaints = complaints.filter(status=wanted.status)
    if wanted.severity:
        complaints = complaints.filter(severity=wanted.severity)
    if wanted.open_only:
        complaints = complaints.filter(status__in=OPEN_STATUSES)
    if wanted.mine:
        complaints = complaints.filter(owner=user)
    if wanted.client_id:
        complaints = complaints.filter(client_id=wanted.client_id)
    if wanted.theme_id:
        complaints = complaints.filter(theme_id=wanted.theme_id)
    return complaints


def status_counts(user: Any, wanted: ComplaintFilter) -> dict[str, int]:
    """Complaints per status among those the person sees that the other filters keep."""
    others = filter_complaints(visible_complaints(user), replace(wanted, status=""), user)
    counts = dict.fromkeys(ComplaintStatus.values, 0)
    for row in others.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


@dataclass(frozen=True)
class ComplaintRow:
    """A complaint as a list shows it: with the clock that matters now."""

    complaint: Complaint
    clock: ClockReading


def rows_with_clocks(
    complaints: list[Complaint], now: datetime | None = None
) -> list[ComplaintRow]:
    moment = now or timezone.now()
    return [ComplaintRow(c, clock_reading(c, moment)) for c in complaints]


def open_complaints_of(user: Any) -> int:
    """The navigation badge: open complaints the person owns."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return visible_complaints(user).filter(owner=user, status__in=OPEN_STATUSES).count()


def open_actions_of(user: Any) -> QuerySet[ImprovementAction]:
    return ImprovementAction.objects.filter(owner=user, state="open").select_related(
        "complaint__client"
    )


def visible_themes(user: Any) -> QuerySet[Theme]:
    """Themes with at least one complaint the person sees."""
    seen = visible_complaints(user)
    return Theme.objects.filter(complaints__in=seen).distinct()
