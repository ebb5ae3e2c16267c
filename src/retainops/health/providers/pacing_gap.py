"""How far this month's spend is off its budget to date, either way (0 = on pace, 0.3 =
30 % over or under): an under-spending campaign under-delivers, an over-spending one
runs out early, and both are what a client notices.

Read over the programs running today, so not rebuilt for past months."""

from datetime import datetime

from django.utils import timezone

from retainops.health.signals import Direction, SignalProvider
from retainops.performance.queries import pacing_by_client


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    found = pacing_by_client(client_ids, as_of=timezone.localdate(as_of))
    return {cid: abs(pacing - 1.0) for cid, pacing in found.items()}


def describe(value: float | None) -> str:
    if value is None:
        return "no budget in flight this month"
    return "spend on pace" if value < 0.005 else f"spend {value:.0%} off pace this month"


PROVIDER = SignalProvider(
    key="pacing_gap",
    label="Spend off pace this month",
    unit="share of budget",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
    unknown_is_neutral=True,
    point_in_time=False,
)
