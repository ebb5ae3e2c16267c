"""Change requests of any kind but cancellation raised over the last 90 days: doubts
voiced, pauses, contract changes (notice itself is what the churn model predicts)."""

from datetime import datetime, timedelta

from django.db.models import Count

from retainops.changes.choices import ChangeKind
from retainops.changes.models import ChangeRequest
from retainops.health.signals import Direction, SignalProvider

DAYS = 90


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    rows = (
        ChangeRequest.objects.filter(
            client_id__in=client_ids,
            raised_at__gt=as_of - timedelta(days=DAYS),
            raised_at__lte=as_of,
        )
        .exclude(kind=ChangeKind.CANCELLATION)
        .values("client_id")
        .annotate(n=Count("id"))
    )
    found = {row["client_id"]: float(row["n"]) for row in rows}
    return {cid: found.get(cid, 0.0) for cid in client_ids}


def describe(value: float | None) -> str:
    n = int(value or 0)
    return "no change request" if n == 0 else f"{n} change request{'s' * (n != 1)} in 90 days"


PROVIDER = SignalProvider(
    key="change_requests",
    label="Change requests (90 days)",
    unit="requests",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
)
