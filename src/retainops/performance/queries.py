"""Reads of KPI attainment and pacing, point in time and set-based, for the pages and
for the apps above (the health score reads `kpi_attainment_by_client` and
`pacing_by_client`; a meeting agenda reads `program_kpi_summary`).

Each runs a fixed number of queries whatever the number of clients or programs.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program
from retainops.performance.measures import (
    attainment,
    conversion_values,
    kpi_value,
    pacing_of,
    totals_by_line,
    with_revenue,
)
from retainops.performance.models import ProgramKpi

RUNNING = [ProgramStatus.SOLD, ProgramStatus.LIVE, ProgramStatus.ENDED]


@dataclass(frozen=True)
class KpiStanding:
    """A KPI of a program line against its target over a window."""

    target_id: int
    service: str
    kpi: str
    unit: str
    higher_is_better: bool
    target: float
    actual: float | None
    attainment: float | None
    previous: float | None  # the attainment over the window before
    over_promise: bool
    p50: float | None

    @property
    def trend(self) -> str:
        if self.attainment is None or self.previous is None:
            return "no trend yet"
        if abs(self.attainment - self.previous) < 0.02:
            return "steady"
        return "improving" if self.attainment > self.previous else "slipping"


def _standings(targets: list[ProgramKpi], *, as_of: date, window_days: int) -> list[KpiStanding]:
    """Every target with its actual over the window ending `as_of` and the one before."""
    program_ids = {t.program_id for t in targets}
    end = as_of
    start = as_of - timedelta(days=window_days - 1)
    now = totals_by_line(program_ids, start=start, end=end)
    before = totals_by_line(
        program_ids, start=start - timedelta(days=window_days), end=start - timedelta(days=1)
    )
    values = conversion_values(program_ids)
    found = []
    for t in targets:
        key = (t.program_id, t.service_id)
        actual = kpi_value(t.kpi, with_revenue(now.get(key, {}), values.get(t.program_id)))
        earlier = kpi_value(t.kpi, with_revenue(before.get(key, {}), values.get(t.program_id)))
        target = float(t.target)
        found.append(
            KpiStanding(
                target_id=t.pk,
                service=t.service.name,
                kpi=t.kpi.name,
                unit=t.kpi.unit,
                higher_is_better=t.kpi.higher_is_better,
                target=target,
                actual=actual,
                attainment=attainment(actual, target, higher_is_better=t.kpi.higher_is_better),
                previous=attainment(earlier, target, higher_is_better=t.kpi.higher_is_better),
                over_promise=t.over_promise,
                p50=t.p50,
            )
        )
    return found


def _targets_of(programs: Iterable[int]) -> list[ProgramKpi]:
    return list(
        ProgramKpi.objects.filter(program_id__in=list(programs)).select_related("kpi", "service")
    )


def kpi_attainment_by_client(
    client_ids: Iterable[int], *, as_of: date, window_days: int = 30
) -> dict[int, float]:
    """Mean attainment of the clients' KPI targets over the `window_days` ending `as_of`
    (1.0 = on target; above 1 better, direction-aware). A client with no target that
    has data in the window is absent. Five queries."""
    programs = dict(
        Program.objects.filter(
            client_id__in=list(client_ids), status__in=RUNNING, start_date__lte=as_of
        ).values_list("pk", "client_id")
    )
    by_client: dict[int, list[float]] = defaultdict(list)
    for standing, target in _with_targets(programs, as_of, window_days):
        if standing.attainment is not None:
            by_client[programs[target.program_id]].append(standing.attainment)
    return {client: sum(v) / len(v) for client, v in by_client.items()}


def _with_targets(
    programs: dict[int, int], as_of: date, window_days: int
) -> list[tuple[KpiStanding, ProgramKpi]]:
    targets = _targets_of(programs)
    return list(
        zip(_standings(targets, as_of=as_of, window_days=window_days), targets, strict=True)
    )


def pacing_by_client(client_ids: Iterable[int], *, as_of: date) -> dict[int, float]:
    """Spend to date over budget to date this month, across each client's programs in
    flight on `as_of` (1.0 = on pace). Three queries."""
    programs = list(
        Program.objects.filter(
            client_id__in=list(client_ids),
            status__in=RUNNING,
            start_date__lte=as_of,
            end_date__gte=as_of.replace(day=1),
        ).only("pk", "client_id", "start_date", "end_date")
    )
    pacing = pacing_of(programs, as_of=as_of)
    spent: dict[int, float] = defaultdict(float)
    budget: dict[int, float] = defaultdict(float)
    for program in programs:
        figures = pacing.get(program.pk)
        if figures is None:
            continue
        spent[program.client_id] += figures.spend_to_date
        budget[program.client_id] += figures.budget_to_date
    return {client: spent[client] / budget[client] for client in budget if budget[client]}


def program_kpi_summary(
    program: Program, *, as_of: date, window_days: int = 30
) -> list[KpiStanding]:
    """The program's KPIs against their targets over the window ending `as_of`, with the
    trend against the window before: what a meeting agenda lists. Four queries."""
    return _standings(_targets_of([program.pk]), as_of=as_of, window_days=window_days)


def daily_series(
    program: Program, *, start: date, end: date, metrics: list[str]
) -> dict[str, list[float]]:
    """Each metric's daily total over [start, end] (0 on a day without data)."""
    from django.db.models import Sum

    from retainops.performance.models import MetricValue

    days = (end - start).days + 1
    found = {m: [0.0] * days for m in metrics}
    rows = (
        MetricValue.objects.filter(program=program, date__range=(start, end), metric__in=metrics)
        .values("date", "metric")
        .annotate(total=Sum("value"))
    )
    for row in rows:
        found[row["metric"]][(row["date"] - start).days] = float(row["total"])
    return found


def over_promised_targets(program_ids: Iterable[int]) -> list[ProgramKpi]:
    return list(
        ProgramKpi.objects.filter(program_id__in=list(program_ids), over_promise=True)
        .select_related("kpi", "service", "agreed_by", "program")
        .order_by("program_id", "service__name")
    )
