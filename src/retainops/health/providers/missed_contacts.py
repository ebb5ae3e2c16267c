"""Planned contacts missed over the last 30 days (cadence)."""

from datetime import datetime, timedelta

from django.db.models import Count

from retainops.cadence.choices import OccurrenceState
from retainops.cadence.models import Occurrence
from retainops.health.signals import Direction, SignalProvider

DAYS = 30


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    rows = (
        Occurrence.objects.filter(
            client_id__in=client_ids,
            state=OccurrenceState.MISSED,
            settled_at__gt=as_of - timedelta(days=DAYS),
            settled_at__lte=as_of,
        )
        .values("client_id")
        .annotate(n=Count("id"))
    )
    found = {row["client_id"]: float(row["n"]) for row in rows}
    return {cid: found.get(cid, 0.0) for cid in client_ids}


def describe(value: float | None) -> str:
    n = int(value or 0)
    return "no planned contact missed" if n == 0 else f"{n} planned contact{'s' * (n != 1)} missed"


PROVIDER = SignalProvider(
    key="missed_contacts",
    label="Planned contacts missed (30 days)",
    unit="contacts",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
)
