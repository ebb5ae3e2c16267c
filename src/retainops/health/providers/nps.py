"""The client's Net Promoter Score over the survey answers of the last 365 days
(promoters minus detractors, -100 to 100); unknown when nobody answered."""

from datetime import datetime

from retainops.health.signals import Direction, SignalProvider
from retainops.voice.queries import nps_by_client

DAYS = 365


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    found = nps_by_client(client_ids, as_of=as_of, window_days=DAYS)
    return {cid: figure.score for cid, figure in found.items()}


def describe(value: float | None) -> str:
    return "no NPS answer in a year" if value is None else f"NPS {value:+.0f} over the last year"


PROVIDER = SignalProvider(
    key="nps",
    label="Net Promoter Score (365 days)",
    unit="points",
    direction=Direction.HIGHER_IS_BETTER,
    values=values,
    describe=describe,
    unknown_is_neutral=True,
)
