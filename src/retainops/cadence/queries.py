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
    return adherences(subject, (days,), now=now)[0]


def adherences(
    subject: Client | User, windows: tuple[int, ...], *, now: datetime | None = None
) -> list[Adherence]:
    """`adherence` over each of several windows, all counted in one query."""
    if any(days < 1 for days in windows):
        raise ValueError("days must be at least 1")
    now = now or timezone.now()
    widest = max(windows)
    due = Occurrence.objects.filter(due_at__gt=now - timedelta(days=widest), due_at__lte=now)
    due = (
        due.filter(client=subject) if isinstance(subject, Client) else due.filter(assignee=subject)
    )
    done = Q(state=S.DONE)
    counted = {
        "total": Q(),
        "on_time": done & Q(outcome=Outcome.ON_TIME),
        "late": done & Q(outcome=Outcome.LATE),
        "missed": Q(state=S.MISSED),
        "skipped": Q(state=S.SKIPPED),
        "open": Q(state__in=[S.PLANNED, S.MOVED]),
    }
    figures = due.aggregate(
        **{
            f"{name}_{days}": Count("id", filter=among & Q(due_at__gt=now - timedelta(days=days)))
            for days in windows
            for name, among in counted.items()
        }
    )
    return [
        Adherence(
            days=days,
            planned=figures[f"total_{days}"] - figures[f"skipped_{days}"],
            on_time=figures[f"on_time_{days}"],
            late=figures[f"late_{days}"],
            missed=figures[f"missed_{days}"],
            skipped=figures[f"skipped_{days}"],
            open=figures[f"open_{days}"],
        )
        for days in windows
    ]


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
