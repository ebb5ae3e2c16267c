"""Reads of contact plans, for the pages, the API and other apps (the health score).

`adherence`, `days_since_last_touch` and `clients_without_touch` are the figures other
apps read; they take the instant to measure at (`now`, the clock by default) so a
report can be run for any day.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from retainops.cadence.choices import OccurrenceState, Outcome
from retainops.cadence.models import Occurrence, PlanItem, Touchpoint
from retainops.clients.models import Client
from retainops.clients.queries import visible_clients
from retainops.core.models import BusinessUnit, User

S = OccurrenceState


@dataclass(frozen=True)
class Adherence:
    """Occurrences due in the last `days` days: planned (all but the skipped), met on
    time, met late, missed, skipped, and still open (due, but within their late window)."""

    days: int
    planned: int
    on_time: int
    late: int
    missed: int
    skipped: int
    open: int

    @property
    def rate(self) -> float | None:
        """Share of the settled planned contacts met on time (None with none settled)."""
        settled = self.on_time + self.late + self.missed
        return round(self.on_time / settled, 3) if settled else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate}


def adherence(subject: Client | User, days: int = 30, *, now: datetime | None = None) -> Adherence:
    """How a client's plan, or a person's planned contacts, were kept over `days` days."""
    if days < 1:
        raise ValueError("days must be at least 1")
    now = now or timezone.now()
    due = Occurrence.objects.filter(due_at__gt=now - timedelta(days=days), due_at__lte=now)
    due = (
        due.filter(client=subject) if isinstance(subject, Client) else due.filter(assignee=subject)
    )
    return _count(due, days)


def _count(due: QuerySet[Occurrence], days: int) -> Adherence:
    done = Q(state=S.DONE)
    figures = due.aggregate(
        total=Count("id"),
        on_time=Count("id", filter=done & Q(outcome=Outcome.ON_TIME)),
        late=Count("id", filter=done & Q(outcome=Outcome.LATE)),
        missed=Count("id", filter=Q(state=S.MISSED)),
        skipped=Count("id", filter=Q(state=S.SKIPPED)),
        open=Count("id", filter=Q(state__in=[S.PLANNED, S.MOVED])),
    )
    return Adherence(
        days=days,
        planned=figures["total"] - figures["skipped"],
        on_time=figures["on_time"],
        late=figures["late"],
        missed=figures["missed"],
        skipped=figures["skipped"],
        open=figures["open"],
    )


def last_touch(client: Client) -> Touchpoint | None:
    return Touchpoint.objects.filter(client=client).order_by("-at").first()


def days_since_last_touch(client: Client, *, now: datetime | None = None) -> int | None:
    """Whole days since the client's last touchpoint; None if there never was one."""
    latest = Touchpoint.objects.filter(client=client).order_by("-at").values_list("at", flat=True)
    found = latest.first()
    if found is None:
        return None
    return ((now or timezone.now()) - found).days


def clients_without_touch(
    days: int,
    unit: BusinessUnit | int | None = None,
    account_manager: User | int | None = None,
    *,
    clients: QuerySet[Client] | None = None,
    now: datetime | None = None,
) -> QuerySet[Client]:
    """Clients still served (not cancelled) with no touchpoint in the last `days` days,
    of a unit or an account manager when given; `clients` narrows to those a person sees."""
    since = (now or timezone.now()) - timedelta(days=days)
    recent = Touchpoint.objects.filter(client=OuterRef("pk"), at__gte=since)
    found = (clients if clients is not None else Client.objects.all()).exclude(status="cancelled")
    if unit is not None:
        found = found.filter(business_unit=unit)
    if account_manager is not None:
        found = found.filter(team__role__code="account_manager", team__user=account_manager)
    # The list shows each client's unit: read with the clients, not one query a row.
    return found.filter(~Exists(recent)).select_related("business_unit").order_by("name", "id")


# Scoped to the person asking -------------------------------------------------------------


def plan_items(user: Any, client: Client) -> QuerySet[PlanItem]:
    return PlanItem.objects.filter(client__in=visible_clients(user), client=client).select_related(
        "kind", "owner_user"
    )


def visible_occurrences(user: Any) -> QuerySet[Occurrence]:
    return Occurrence.objects.filter(client__in=visible_clients(user)).select_related(
        "item__kind", "assignee", "client"
    )


def visible_touchpoints(user: Any) -> QuerySet[Touchpoint]:
    return Touchpoint.objects.filter(client__in=visible_clients(user)).select_related("by")


def upcoming(client: Client, *, now: datetime | None = None, limit: int = 8) -> list[Occurrence]:
    now = now or timezone.now()
    open_ones = Occurrence.objects.filter(
        client=client, state__in=[S.PLANNED, S.MOVED], late_until__gte=now
    )
    return list(open_ones.select_related("item__kind", "assignee").order_by("due_at")[:limit])
