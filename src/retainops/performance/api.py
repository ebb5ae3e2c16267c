"""The performance router: metrics pushed by programs, and a program's KPI summary."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router

from retainops.onboarding.queries import visible_programs
from retainops.performance import services
from retainops.performance.importing import metric_rows
from retainops.performance.models import MetricSource
from retainops.performance.queries import program_kpi_summary
from retainops.performance.schemas import (
    ImportOut,
    MetricsIn,
    MetricSourceIn,
    MetricSourceOut,
    SummaryOut,
)

router = Router(tags=["performance"])


@router.post("/metrics", response={200: ImportOut})
def post_metrics(request: HttpRequest, payload: MetricsIn) -> Any:
    """Upsert daily metrics by (program, line, source, day, metric). Every bad row is
    named in the 422 answer (`rows.<n>.<field>`) and nothing is written."""
    source = MetricSource.objects.filter(key=payload.source).first()
    if source is None:
        raise ValidationError({"source": [f"No source {payload.source!r}."]})
    report = services.import_metrics(
        by=request.user,
        source=source,
        rows=metric_rows(item.dict() for item in payload.rows),
        dry_run=payload.dry_run,
    )
    if not report.ok:
        errors: dict[str, list[str]] = {}
        for problem in report.errors:
            errors.setdefault(f"rows.{problem.row}.{problem.column}", []).append(problem.message)
        raise ValidationError(errors)
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "dry_run": report.dry_run,
    }


@router.get("/programs/{program_id}/kpis", response=SummaryOut)
def program_kpis(request: HttpRequest, program_id: int, as_of: date | None = None) -> Any:
    program = get_object_or_404(visible_programs(request.user), pk=program_id)
    day = as_of or timezone.localdate()
    return {
        "program": program.pk,
        "as_of": day,
        "kpis": [{**s.__dict__, "trend": s.trend} for s in program_kpi_summary(program, as_of=day)],
    }


@router.get("/metric-sources", response=list[MetricSourceOut])
def list_sources(request: HttpRequest) -> Any:
    """The sources files are imported from, each with its saved column mapping."""
    return MetricSource.objects.order_by("key")


@router.put("/metric-sources/{key}", response=MetricSourceOut)
def save_source(request: HttpRequest, key: str, payload: MetricSourceIn) -> Any:
    """Create a source or change how its files are read (mapping, date pattern,
    separators, currency); files imported before keep what they wrote."""
    if not slug_re.fullmatch(key) or len(key) > 40:
        raise ValidationError({"key": ["A key is up to 40 letters, digits, - or _."]})
    data = payload.model_dump()
    data["mapping"] = payload.mapping.model_dump(mode="json", exclude_none=True)
    return services.save_source(by=request.user, key=key, **data)
