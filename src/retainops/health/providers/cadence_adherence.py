"""Share of the planned contacts settled on time over the last 30 days (cadence)."""

from datetime import datetime, timedelta

from django.db.models import Count, Q

from retainops.cadence.choices import OccurrenceState, Outcome
from retainops.cadence.models import Occurrence
from retainops.health.signals import Direction, SignalProvider

DAYS = 30


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    # Point in time: an occurrence counts as it stood at `as_of` (settled by then, or not).
    settled = Q(settled_at__lte=as_of)
    rows = (
        Occurrence.objects.filter(
            client_id__in=client_ids, due_at__gt=as_of - timedelta(days=DAYS), due_at__lte=as_of
        )
        .values("client_id")
        .annotate(
            on_time=Count(
                "id", filter=settled & Q(state=OccurrenceState.DONE, outcome=Outcome.ON_TIME)
            ),
            late=Count("id", filter=settled & Q(state=OccurrenceState.DONE, outcome=Outcome.LATE)),
            missed=Count("id", filter=settled & Q(state=OccurrenceState.MISSED)),
        )
    )
    found: dict[int, float | None] = {}
    for row in rows:
        total = row["on_time"] + row["late"] + row["missed"]
        found[row["client_id"]] = round(row["on_time"] / total, 3) if total else None
    return found


def describe(value: float | None) -> str:
    if value is None:
        return "no planned contact settled in 30 days"
    return f"{round(value * 100)}% of planned contacts on time in 30 days"


PROVIDER = SignalProvider(
    key="cadence_adherence",
    label="Contact plan kept on time (30 days)",
    unit="share",
    direction=Direction.HIGHER_IS_BETTER,
    values=values,
    describe=describe,
)
