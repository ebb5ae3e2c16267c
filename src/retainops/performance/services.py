"""Operations that change performance state: the KPI catalogue, targets agreed at sale,
the terms of a program's return, AM notes, and performance data in."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from retainops.clients.models import ServiceLine
from retainops.clients.transfer.results import ImportReport
from retainops.core.access import require_capability, require_unit_access
from retainops.core.audit import save_audited
from retainops.core.capabilities import Capability
from retainops.core.events import emit
from retainops.core.imports import ImportKind, Progress, Result, problem, queue_import
from retainops.core.models import ImportJob
from retainops.core.schemas import parse_id
from retainops.onboarding.models import Program, ProgramService
from retainops.onboarding.queries import visible_programs
from retainops.performance import events
from retainops.performance.formulas import check_formula
from retainops.performance.importing import (
    MetricRow,
    check_file,
    check_upfront,
    import_file,
    import_rows,
)
from retainops.performance.measures import expectation
from retainops.performance.models import (
    Kpi,
    MetricSource,
    ProgramKpi,
    ProgramTerms,
    ReportNote,
    ServiceKpi,
)


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# The catalogue ---------------------------------------------------------------------------


@transaction.atomic
def create_kpi(
    *,
    by: Any,
    key: str,
    name: str,
    formula: str,
    unit: str,
    higher_is_better: bool,
    description: str = "",
    services: list[ServiceLine] | None = None,
) -> Kpi:
    """Add a KPI to the catalogue (administrators), optionally as a default of services."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    check_formula(formula)
    kpi = Kpi(
        key=key,
        name=name,
        formula=formula.strip(),
        unit=unit,
        higher_is_better=higher_is_better,
        description=description,
        position=Kpi.objects.count(),
    )
    save_audited(kpi, by, "added to the KPI catalogue")
    for service in services or []:
        ServiceKpi.objects.get_or_create(service=service, kpi=kpi)
    return kpi


# Targets agreed at sale ---------------------------------------------------------------------


def _require_target_editor(by: Any, program: Program) -> None:
    require_capability(by, Capability.EDIT_CONTRACT)
    require_unit_access(by, program.client.business_unit_id)


@dataclass(frozen=True)
class TargetInput:
    service: ServiceLine
    kpi: Kpi
    target: Any
    checkpoint: int = 90
    reason: str = ""


@transaction.atomic
def set_target(
    *,
    by: Any,
    program: Program,
    service: ServiceLine,
    kpi: Kpi,
    target: Any,
    checkpoint: int = 90,
    agreed_with: str = "",
    reason: str = "",
    today: date | None = None,
) -> ProgramKpi:
    """Agree a KPI target for a line of the program. The target is compared with what
    comparable programs achieved at the same point; one beyond the 75th percentile is
    flagged as over-promising and refused without a reason."""
    _require_target_editor(by, program)
    line = (
        ProgramService.objects.select_related("program__client")
        .filter(program=program, service=service)
        .first()
    )
    if line is None:
        raise _invalid("service", f"The program has no {service.name} line.")
    if checkpoint not in (30, 90, 180):
        raise _invalid("checkpoint", "Compare at 30, 90 or 180 days.")
    try:
        value = Decimal(str(target))
    except InvalidOperation:
        raise _invalid("target", f"{target!r} is not a number.") from None
    if not value.is_finite() or value < 0:
        raise _invalid("target", "A target is a number of zero or more.")
    seen = expectation(line, kpi, today=today or timezone.localdate(), checkpoint=checkpoint)
    over = seen.over_promises(float(value))
    if over and not reason.strip():
        assert seen.quartiles is not None
        raise _invalid(
            "reason",
            f"{value} {kpi.name} is beyond what three in four comparable programs achieved "
            f"at {checkpoint} days (75th percentile {seen.quartiles.p75:.4g}, "
            f"{seen.count} programs): say why it is realistic.",
        )
    row = ProgramKpi.objects.filter(program=program, service=service, kpi=kpi).first() or (
        ProgramKpi(program=program, service=service, kpi=kpi)
    )
    row.target = value
    row.checkpoint = checkpoint
    row.agreed_by = by
    row.agreed_with = agreed_with
    row.agreed_at = timezone.now()
    quartiles = seen.quartiles
    row.p25, row.p50, row.p75 = (
        (quartiles.p25, quartiles.p50, quartiles.p75) if quartiles else (None, None, None)
    )
    row.comparables = seen.count
    row.over_promise = over
    row.over_promise_reason = reason.strip() if over else ""
    save_audited(row, by, "target agreed" + (" beyond the 75th percentile" if over else ""))
    emit(events.TargetSet(target=row, over_promise=over, by=by))
    return row


@transaction.atomic
def set_targets(
    *,
    by: Any,
    program: Program,
    targets: list[TargetInput],
    agreed_with: str = "",
    today: date | None = None,
) -> list[ProgramKpi]:
    """Several targets at once: every one is checked; if any is refused, none is kept."""
    saved: list[ProgramKpi] = []
    errors: dict[str, list[str]] = {}
    for item in targets:
        try:
            with transaction.atomic():
                saved.append(
                    set_target(
                        by=by,
                        program=program,
                        service=item.service,
                        kpi=item.kpi,
                        target=item.target,
                        checkpoint=item.checkpoint,
                        agreed_with=agreed_with,
                        reason=item.reason,
                        today=today,
                    )
                )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(f"{item.service.code}.{item.kpi.key}.{field}", []).extend(
                    messages
                )
    if errors:
        raise ValidationError(errors)
    return saved


def default_kpis(program: Program) -> list[tuple[ServiceLine, Kpi]]:
    """The KPIs a program's lines start with (the service lines' defaults)."""
    lines = list(program.lines.select_related("service"))
    defaults = ServiceKpi.objects.filter(
        service_id__in=[line.service_id for line in lines], kpi__is_active=True
    ).select_related("service", "kpi")
    return sorted(((d.service, d.kpi) for d in defaults), key=lambda p: (p[0].name, p[1].position))


@transaction.atomic
def set_terms(
    *, by: Any, program: Program, conversion_value: Any = None, currency: str = "USD"
) -> ProgramTerms:
    _require_target_editor(by, program)
    terms, _ = ProgramTerms.objects.get_or_create(program=program)
    terms.conversion_value = (
        None if conversion_value in (None, "") else Decimal(str(conversion_value))
    )
    terms.currency = currency.upper()
    terms.full_clean()
    terms.save()
    return terms


@transaction.atomic
def write_note(*, by: Any, program: Program, period: date, text: str) -> ReportNote:
    """The AM's words on a month of the program, shown in its report."""
    _require_target_editor(by, program)
    if not text.strip():
        raise _invalid("text", "Write the note first.")
    note, _ = ReportNote.objects.update_or_create(
        program=program,
        period=period.replace(day=1),
        defaults={"text": text.strip(), "written_by": by, "written_at": timezone.now()},
    )
    return note


# Performance data in ---------------------------------------------------------------------------


def _announce(report: ImportReport, program_ids: set[int], by: Any) -> None:
    if report.written and (report.created or report.updated):
        emit(
            events.MetricsImported(
                program_ids=tuple(sorted(program_ids)),
                created=report.created,
                updated=report.updated,
                by=by,
            )
        )


def _program_ids(rows: list[MetricRow]) -> set[int]:
    return {pk for r in rows if (pk := parse_id(r.program))}


@transaction.atomic
def import_metrics(
    *,
    by: Any,
    source: MetricSource,
    rows: list[MetricRow],
    today: date | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Rows from the API: checked in full, then upserted (nothing written if one is bad)."""
    require_capability(by, Capability.IMPORT_DATA)
    report = import_rows(
        rows,
        source=source,
        visible_programs=visible_programs(by),
        today=today or timezone.localdate(),
        dry_run=dry_run,
    )
    _announce(report, _program_ids(rows), by)
    return report


@transaction.atomic
def import_metrics_file(
    *,
    by: Any,
    source: MetricSource,
    content: bytes,
    filename: str,
    today: date | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """A platform export read through its source's mapping."""
    require_capability(by, Capability.IMPORT_DATA)
    report = import_file(
        content,
        filename,
        source=source,
        visible_programs=visible_programs(by),
        today=today or timezone.localdate(),
        dry_run=dry_run,
    )
    _announce(report, set(), by)
    return report


def queue_metrics_file(
    *, by: Any, source: MetricSource, content: bytes, filename: str
) -> ImportReport | ImportJob:
    """Check what is cheap about a platform export now, then queue it for the worker:
    the job, or the report of what is wrong (nothing queued)."""
    require_capability(by, Capability.IMPORT_DATA)
    report = check_upfront(content, filename, source)
    if not report.ok:
        return report
    return queue_import(
        by=by, kind="metrics", file_name=filename, content=content, options={"source": source.pk}
    )


def _job_source(job: ImportJob) -> MetricSource | None:
    return MetricSource.objects.filter(pk=job.options.get("source")).first()


def _check_job(job: ImportJob, content: bytes, progress: Progress) -> Result:
    require_capability(job.requested_by, Capability.IMPORT_DATA)
    source = _job_source(job)
    if source is None:
        return {"errors": [problem("The source of this file was deleted.", column="source")]}
    report = check_file(
        content,
        job.file_name,
        source=source,
        visible_programs=visible_programs(job.requested_by),
        today=timezone.localdate(),
        progress=progress,
    )
    return report.as_result()


def _write_job(job: ImportJob, content: bytes) -> Result:
    source = _job_source(job)
    if source is None:
        return {"errors": [problem("The source of this file was deleted.", column="source")]}
    report = import_metrics_file(
        by=job.requested_by, source=source, content=content, filename=job.file_name
    )
    return report.as_result()


METRICS_IMPORT = ImportKind(
    kind="metrics",
    label="Performance data",
    authorise=lambda by, _options: require_capability(by, Capability.IMPORT_DATA),
    check=_check_job,
    write=_write_job,
    back_url="performance:import",
)


@transaction.atomic
def save_source(
    *,
    by: Any,
    key: str,
    name: str,
    mapping: dict[str, Any],
    date_format: str = "%Y-%m-%d",
    thousands: str = ",",
    decimal: str = ".",
    currency: str = "",
) -> MetricSource:
    """Create or change a source and the column mapping its files are read with."""
    require_capability(by, Capability.IMPORT_DATA)
    if thousands and thousands == decimal:
        raise _invalid("thousands", "The thousands separator must differ from the decimal one.")
    if not isinstance(mapping, dict):
        raise _invalid("mapping", "The mapping is an object of column headings.")
    if not mapping.get("metrics") and not (mapping.get("metric") and mapping.get("value")):
        raise _invalid(
            "mapping", "Name a column per metric (metrics), or the metric and value columns."
        )
    if not _reads_back(date_format):
        raise _invalid("date_format", "Not a date pattern (for example %d/%m/%Y).")
    source = MetricSource.objects.filter(key=key).first() or MetricSource(key=key)
    source.name = name
    source.mapping = mapping
    source.date_format = date_format
    source.thousands = thousands
    source.decimal = decimal
    source.currency = currency.upper()
    source.full_clean()
    source.save()
    return source


def _reads_back(pattern: str) -> bool:
    """A date written with the pattern reads back as the same day."""
    sample = date(2026, 12, 31)
    try:
        return datetime.strptime(sample.strftime(pattern), pattern).date() == sample
    except ValueError:
        return False


def refuse_unless_visible(by: Any, program: Program) -> None:
    if not visible_programs(by).filter(pk=program.pk).exists():
        raise PermissionDenied("You may not see this program.")
