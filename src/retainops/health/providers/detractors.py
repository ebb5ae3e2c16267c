"""Detractor answers (NPS 0-6 or satisfaction 1-2) and negative service-team
observations of the client over the last 90 days."""

from datetime import datetime

from retainops.health.signals import Direction, SignalProvider
from retainops.voice.queries import detractors_by_client

DAYS = 90


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    found = detractors_by_client(client_ids, as_of=as_of, window_days=DAYS)
    return {cid: float(found.get(cid, 0)) for cid in client_ids}


def describe(value: float | None) -> str:
    n = int(value or 0)
    if n == 0:
        return "no detractor or negative observation"
    return f"{n} detractor answer{'s' * (n != 1)} or negative observation{'s' * (n != 1)}"


PROVIDER = SignalProvider(
    key="detractors",
    label="Detractors and negative observations (90 days)",
    unit="answers",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
)
