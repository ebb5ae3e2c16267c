"""Figures read from the metric rows: KPI values over a window, attainment against a
target, comparable programs' quartiles, pacing against budget, return on spend.

Every function here reads in a fixed number of queries whatever the number of
programs it is asked about: totals come from one grouped aggregate.
"""

import bisect
import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import DateField, ExpressionWrapper, F, Sum

from retainops.onboarding.models import Program, ProgramService
from retainops.performance.choices import BaseMetric, PaceState
from retainops.performance.formulas import evaluate
from retainops.performance.models import Kpi, MetricValue, ProgramTerms
from retainops.stats import StatsInputError
from retainops.stats.benchmarks import Spread, beyond_upper_quartile, spread

Totals = dict[str, float]
_KEY = tuple[int, int]  # (program id, service id)


def totals_by_line(
    program_ids: Iterable[int], *, start: date, end: date, service_id: int | None = None
) -> dict[_KEY, Totals]:
    """Summed base metrics per (program, service line) over [start, end], one query."""
    rows = MetricValue.objects.filter(program_id__in=list(program_ids), date__range=(start, end))
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    found: dict[_KEY, Totals] = defaultdict(dict)
    for row in rows.values("program_id", "service_id", "metric").annotate(total=Sum("value")):
        found[(row["program_id"], row["service_id"])][row["metric"]] = float(row["total"])
    return found


def with_revenue(totals: Totals, conversion_value: Decimal | None) -> Totals:
    """Revenue as the client reported it, or conversions times the agreed value."""
    if totals.get(BaseMetric.REVENUE, 0.0) or conversion_value is None:
        return totals
    conversions = totals.get(BaseMetric.CONVERSIONS, 0.0)
    return {**totals, BaseMetric.REVENUE.value: conversions * float(conversion_value)}


def conversion_values(program_ids: Iterable[int]) -> dict[int, Decimal | None]:
    return dict(
        ProgramTerms.objects.filter(program_id__in=list(program_ids)).values_list(
            "program_id", "conversion_value"
        )
    )


def kpi_value(kpi: Kpi, totals: Totals) -> float | None:
    return evaluate(kpi.formula, totals) if totals else None


def attainment(actual: float | None, target: float, *, higher_is_better: bool) -> float | None:
    """1.0 on target; above 1 better than the target whichever way the KPI points."""
    if actual is None:
        return None
    if higher_is_better:
        return actual / target if target else None
    return target / actual if actual else None


def return_on_spend(totals: Totals) -> tuple[float | None, float | None]:
    """(ROAS, ROI): revenue per unit of spend, and (revenue - spend) / spend."""
    spent = totals.get(BaseMetric.SPEND, 0.0)
    if not spent:
        return None, None
    revenue = totals.get(BaseMetric.REVENUE, 0.0)
    return revenue / spent, (revenue - spent) / spent


# Realistic expectations ---------------------------------------------------------------


def budget_bands() -> list[float]:
    return [float(edge) for edge in settings.PERFORMANCE_BUDGET_BANDS]


def budget_band(budget: Decimal | float) -> int:
    return bisect.bisect_right(budget_bands(), float(budget))


def band_label(band: int) -> str:
    edges = budget_bands()
    low = f"{edges[band - 1]:,.0f}" if band > 0 else "0"
    return f"{low} to {edges[band]:,.0f} a month" if band < len(edges) else f"{low} a month and up"


@dataclass(frozen=True)
class Expectation:
    """What comparable programs achieved on a KPI at a point of their flight."""

    kpi: Kpi
    checkpoint: int
    quartiles: Spread | None
    band: str
    note: str

    @property
    def count(self) -> int:
        return self.quartiles.count if self.quartiles else 0

    def over_promises(self, target: float) -> bool:
        if self.quartiles is None:
            return False
        return beyond_upper_quartile(
            target, self.quartiles, higher_is_better=self.kpi.higher_is_better
        )


def comparable_lines(line: ProgramService, *, today: date, checkpoint: int) -> list[int]:
    """Programs like this one: another program with a line of the same service whose
    monthly budget is in the same band, for a client of the same industry, that has run
    at least `checkpoint` days by `today`."""
    band = budget_band(line.monthly_budget)
    edges = budget_bands()
    candidates = ProgramService.objects.filter(
        service_id=line.service_id,
        program__client__industry=line.program.client.industry,
        program__start_date__lte=today - timedelta(days=checkpoint),
    ).exclude(program_id=line.program_id)
    if band > 0:
        candidates = candidates.filter(monthly_budget__gte=edges[band - 1])
    if band < len(edges):
        candidates = candidates.filter(monthly_budget__lt=edges[band])
    return list(candidates.values_list("program_id", flat=True))


def expectation(line: ProgramService, kpi: Kpi, *, today: date, checkpoint: int) -> Expectation:
    """Quartiles of the KPI over the first `checkpoint` days of comparable programs."""
    program_ids = comparable_lines(line, today=today, checkpoint=checkpoint)
    band = band_label(budget_band(line.monthly_budget))
    cut = ExpressionWrapper(
        F("program__start_date") + timedelta(days=checkpoint), output_field=DateField()
    )
    rows = (
        MetricValue.objects.filter(program_id__in=program_ids, service_id=line.service_id)
        .filter(date__gte=F("program__start_date"), date__lt=cut)
        .values("program_id", "metric")
        .annotate(total=Sum("value"))
    )
    totals: dict[int, Totals] = defaultdict(dict)
    for row in rows:
        totals[row["program_id"]][row["metric"]] = float(row["total"])
    values_of = conversion_values(totals)
    values = [
        value
        for pid, found in totals.items()
        if (value := kpi_value(kpi, with_revenue(found, values_of.get(pid)))) is not None
    ]
    try:
        quartiles = spread(values)
    except StatsInputError as error:
        return Expectation(kpi, checkpoint, None, band, str(error))
    return Expectation(kpi, checkpoint, quartiles, band, "")


# Pacing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pacing:
    """Spend against budget in the month of `as_of`, for one program or a set of them."""

    as_of: date
    budget_month: float
    budget_to_date: float
    spend_to_date: float
    projected: float

    @property
    def pace(self) -> float | None:
        return self.spend_to_date / self.budget_to_date if self.budget_to_date else None

    @property
    def state(self) -> str:
        pace = self.pace
        if pace is None:
            return PaceState.ON
        if pace < settings.PERFORMANCE_PACE_UNDER:
            return PaceState.UNDER
        if pace > settings.PERFORMANCE_PACE_OVER:
            return PaceState.OVER
        return PaceState.ON


def _month(as_of: date) -> tuple[date, date]:
    last = calendar.monthrange(as_of.year, as_of.month)[1]
    return as_of.replace(day=1), as_of.replace(day=last)


def pacing_of(programs: list[Program], *, as_of: date) -> dict[int, Pacing]:
    """Each program's pacing this month: budget prorated over its flight days, spend to
    date, and the spend projected to the month's end at the rate so far (two queries)."""
    first, last = _month(as_of)
    days_in_month = (last - first).days + 1
    budgets: dict[int, float] = defaultdict(float)
    for pid, budget in ProgramService.objects.filter(
        program_id__in=[p.pk for p in programs]
    ).values_list("program_id", "monthly_budget"):
        budgets[pid] += float(budget)
    spend = dict(
        MetricValue.objects.filter(
            program_id__in=[p.pk for p in programs],
            metric=BaseMetric.SPEND,
            date__range=(first, as_of),
        )
        .values("program_id")
        .annotate(total=Sum("value"))
        .values_list("program_id", "total")
    )
    found = {}
    for program in programs:
        start = max(first, program.start_date)
        end = min(last, program.end_date)
        elapsed = (min(as_of, end) - start).days + 1
        active = (end - start).days + 1
        if active <= 0 or elapsed <= 0:
            continue
        daily = budgets[program.pk] / days_in_month
        spent = float(spend.get(program.pk) or 0)
        found[program.pk] = Pacing(
            as_of=as_of,
            budget_month=daily * active,
            budget_to_date=daily * elapsed,
            spend_to_date=spent,
            projected=spent / elapsed * active,
        )
    return found
