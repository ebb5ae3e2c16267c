"""The client's report of a program and month: KPIs against targets, pacing, trend
charts and the AM's notes; drawn as a page, in the portal, and as a PDF (WeasyPrint
renders the same HTML, inline SVG charts included)."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.template.loader import render_to_string

from retainops.core.charts import Chart, Series, line_chart
from retainops.onboarding.models import Program
from retainops.performance.choices import PACE_COLOURS, BaseMetric, PaceState
from retainops.performance.measures import (
    Pacing,
    conversion_values,
    pacing_of,
    return_on_spend,
    totals_by_line,
    with_revenue,
)
from retainops.performance.models import ReportNote
from retainops.performance.queries import KpiStanding, daily_series, program_kpi_summary


def period_of(text: str | None, today: date) -> date:
    """The month a `YYYY-MM` names (this month when blank or malformed)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def last_day(period: date) -> date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


@dataclass
class Report:
    program: Program
    period: date
    as_of: date
    standings: list[KpiStanding]
    pacing: Pacing | None
    pace_colour: str
    roas: float | None
    roi: float | None
    spend_chart: Chart
    trend_chart: Chart
    notes: list[ReportNote]

    @property
    def title(self) -> str:
        return f"{self.program.name}: {self.period:%B %Y}"


def build_report(program: Program, *, period: date, today: date) -> Report:
    period = period.replace(day=1)
    # Daily metrics are for finished days: this month's report runs to yesterday.
    end = min(last_day(period), today - timedelta(days=1))
    as_of = max(end, period)
    days = (as_of - period).days + 1
    standings = program_kpi_summary(program, as_of=as_of, window_days=days)
    pacing = pacing_of([program], as_of=as_of).get(program.pk)
    totals: dict[str, float] = {}
    for line_totals in totals_by_line([program.pk], start=period, end=as_of).values():
        for metric, value in line_totals.items():
            totals[metric] = totals.get(metric, 0.0) + value
    totals = with_revenue(totals, conversion_values([program.pk]).get(program.pk))
    roas, roi = return_on_spend(totals)
    series = daily_series(
        program,
        start=period,
        end=as_of,
        metrics=[BaseMetric.SPEND, BaseMetric.CLICKS, BaseMetric.CONVERSIONS],
    )
    labels = [(period + timedelta(days=i)).strftime("%d") for i in range(days)]
    cumulative = []
    running = 0.0
    for value in series[BaseMetric.SPEND]:
        running += value
        cumulative.append(running)
    budget_line = (
        [
            pacing.budget_month / calendar.monthrange(period.year, period.month)[1] * (i + 1)
            for i in range(days)
        ]
        if pacing
        else [0.0] * days
    )
    spend_chart = line_chart(
        title=f"Spend against budget, {period:%B %Y}",
        x_labels=labels,
        series=[Series.of("Spend to date", cumulative), Series.of("Budget to date", budget_line)],
        y_label="amount",
    )
    trend_chart = line_chart(
        title="Clicks and conversions per day",
        x_labels=labels,
        series=[
            Series.of("Clicks", series[BaseMetric.CLICKS]),
            Series.of("Conversions", series[BaseMetric.CONVERSIONS]),
        ],
    )
    return Report(
        program=program,
        period=period,
        as_of=as_of,
        standings=standings,
        pacing=pacing,
        pace_colour=PACE_COLOURS.get(PaceState(pacing.state), "green") if pacing else "green",
        roas=roas,
        roi=roi,
        spend_chart=spend_chart,
        trend_chart=trend_chart,
        notes=list(program.report_notes.filter(period=period)),
    )


def report_html(report: Report, **extra: Any) -> str:
    return render_to_string("performance/report_document.html", {"report": report, **extra})


def report_pdf(report: Report) -> bytes:
    """The report as a PDF, drawn by WeasyPrint from the same HTML as the page."""
    from weasyprint import HTML

    return bytes(HTML(string=report_html(report, for_pdf=True)).write_pdf())
