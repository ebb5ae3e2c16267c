"""Days since the client's last touchpoint (any channel), as of the instant asked."""

from datetime import datetime

from django.db.models import Max

from retainops.cadence.models import Touchpoint
from retainops.health.signals import Direction, SignalProvider


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    latest = (
        Touchpoint.objects.filter(client_id__in=client_ids, at__lte=as_of)
        .values("client_id")
        .annotate(last=Max("at"))
    )
    return {row["client_id"]: float((as_of - row["last"]).days) for row in latest}


def describe(value: float | None) -> str:
    if value is None:
        return "never touched"
    days = int(value)
    if days == 0:
        return "touched today"
    return f"no touchpoint for {days} day{'s' if days != 1 else ''}"


PROVIDER = SignalProvider(
    key="days_since_touch",
    label="Days since the last touchpoint",
    unit="days",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
)
