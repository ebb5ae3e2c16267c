"""Complaints open at the instant asked: raised by then and not yet resolved."""

from datetime import datetime

from django.db.models import Count, Q

from retainops.complaints.models import Complaint
from retainops.health.signals import Direction, SignalProvider


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    rows = (
        Complaint.objects.filter(client_id__in=client_ids, raised_at__lte=as_of)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=as_of))
        .values("client_id")
        .annotate(n=Count("id"))
    )
    found = {row["client_id"]: float(row["n"]) for row in rows}
    return {cid: found.get(cid, 0.0) for cid in client_ids}


def describe(value: float | None) -> str:
    n = int(value or 0)
    return "no open complaint" if n == 0 else f"{n} open complaint{'s' * (n != 1)}"


PROVIDER = SignalProvider(
    key="open_complaints",
    label="Open complaints",
    unit="complaints",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
)
