"""The feedback meeting's "performance" section: the program's KPIs against the
targets agreed at sale, replacing the placeholder the voice app registers."""

from datetime import timedelta
from typing import Any

from retainops.onboarding.models import Program
from retainops.performance.queries import program_kpi_summary


def performance_section(session: Any) -> dict[str, Any]:
    """Each KPI of the meeting's program (or of the client's live programs) against its
    target over the 30 days before the meeting; daily data is for finished days."""
    series = session.series
    as_of = session.starts_at.date() - timedelta(days=1)
    if series.program_id:
        programs = [series.program]
    else:
        programs = list(Program.objects.filter(client_id=series.client_id).order_by("-id")[:3])
    rows = [
        {
            "program": program.name,
            "service": standing.service,
            "kpi": standing.kpi,
            "target": standing.target,
            "actual": standing.actual,
            "attainment": None if standing.attainment is None else round(standing.attainment, 2),
            "trend": standing.trend,
            "over_promised": standing.over_promise,
        }
        for program in programs
        for standing in program_kpi_summary(program, as_of=as_of)
    ]
    if not rows:
        return {"placeholder": True, "note": "No KPI targets are agreed for this client yet."}
    return {"kpis": rows}
