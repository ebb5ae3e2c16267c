"""Complaints of the last 90 days whose first-response or resolution clock was breached
by the instant asked: the clock's due time passed before the answer (or with none yet)."""

from datetime import datetime, timedelta

from django.db.models import Count, F, Q

from retainops.complaints.models import Complaint
from retainops.health.signals import Direction, SignalProvider

DAYS = 90


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    response = Q(response_due_at__lt=as_of) & (
        Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gt=F("response_due_at"))
    )
    resolution = Q(resolution_due_at__lt=as_of) & (
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=F("resolution_due_at"))
    )
    rows = (
        Complaint.objects.filter(
            client_id__in=client_ids,
            raised_at__gt=as_of - timedelta(days=DAYS),
            raised_at__lte=as_of,
        )
        .filter(response | resolution)
        .values("client_id")
        .annotate(n=Count("id"))
    )
    found = {row["client_id"]: float(row["n"]) for row in rows}
    return {cid: found.get(cid, 0.0) for cid in client_ids}


def describe(value: float | None) -> str:
    n = int(value or 0)
    return "no breached complaint" if n == 0 else f"{n} breached complaint{'s' * (n != 1)}"


PROVIDER = SignalProvider(
    key="breached_complaints",
    label="Complaints with a breached clock (90 days)",
    unit="complaints",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
)
