"""Mean attainment of the client's campaign KPI targets over the last 30 days (1.0 = on
target, direction-aware: a cost per lead under target counts above 1).

Only programs running today are read, and a target keeps only its latest value, so a
past month cannot be rebuilt faithfully: the scorecard may use it, the churn model
does not learn from it."""

from datetime import datetime

from django.utils import timezone

from retainops.health.signals import Direction, SignalProvider
from retainops.performance.queries import kpi_attainment_by_client

DAYS = 30


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    day = timezone.localdate(as_of)
    return dict(kpi_attainment_by_client(client_ids, as_of=day, window_days=DAYS))


def describe(value: float | None) -> str:
    return "no KPI target with data" if value is None else f"KPIs at {value:.0%} of target"


PROVIDER = SignalProvider(
    key="kpi_attainment",
    label="KPI attainment against target (30 days)",
    unit="share of target",
    direction=Direction.HIGHER_IS_BETTER,
    values=values,
    describe=describe,
    unknown_is_neutral=True,
    point_in_time=False,
)
