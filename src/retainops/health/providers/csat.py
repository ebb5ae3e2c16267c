"""The client's mean satisfaction score (1 to 5) over the answers of the last 365 days;
unknown when nobody answered."""

from datetime import datetime

from retainops.health.signals import Direction, SignalProvider
from retainops.voice.queries import csat_by_client

DAYS = 365


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    found = csat_by_client(client_ids, as_of=as_of, window_days=DAYS)
    return {cid: figure.average for cid, figure in found.items()}


def describe(value: float | None) -> str:
    return "no satisfaction answer in a year" if value is None else f"satisfaction {value:.1f} of 5"


PROVIDER = SignalProvider(
    key="csat",
    label="Satisfaction score, 1-5 (365 days)",
    unit="score",
    direction=Direction.HIGHER_IS_BETTER,
    values=values,
    describe=describe,
    unknown_is_neutral=True,
)
