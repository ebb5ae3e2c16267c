"""Pauses the client asked for over the last 180 days (change requests not withdrawn)."""

from datetime import datetime, timedelta

from django.db.models import Count

from retainops.changes.choices import ChangeKind, ChangeStatus
from retainops.changes.models import ChangeRequest
from retainops.health.signals import Direction, SignalProvider

DAYS = 180


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    rows = (
        ChangeRequest.objects.filter(
            client_id__in=client_ids,
            kind=ChangeKind.PAUSE,
            raised_at__gt=as_of - timedelta(days=DAYS),
            raised_at__lte=as_of,
        )
        .exclude(status=ChangeStatus.WITHDRAWN)
        .values("client_id")
        .annotate(n=Count("id"))
    )
    found = {row["client_id"]: float(row["n"]) for row in rows}
    return {cid: found.get(cid, 0.0) for cid in client_ids}


def describe(value: float | None) -> str:
    n = int(value or 0)
    return "no pause asked for" if n == 0 else f"{n} pause{'s' * (n != 1)} asked for in 6 months"


PROVIDER = SignalProvider(
    key="pauses",
    label="Pauses asked for (180 days)",
    unit="requests",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
)
