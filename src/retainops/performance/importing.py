"""Performance data in: rows from a platform export (through its source's column mapping)
or from the API, checked in full, then upserted by (program, line, source, day, metric).

Every bad row is reported by its row number and column, and then nothing is written.
A row that repeats what is stored changes nothing, so importing a file again adds
nothing; a row whose value differs replaces the stored one (late or corrected data).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from retainops.clients.transfer.cells import as_text
from retainops.clients.transfer.files import FileProblem, check_before_reading, read_records
from retainops.clients.transfer.results import ImportReport, Problem
from retainops.core.imports import Progress
from retainops.core.schemas import parse_id
from retainops.performance.choices import MONEY_METRICS, BaseMetric
from retainops.performance.models import MetricSource, MetricValue, ProgramTerms

BATCH = 5000
PROGRESS_EVERY = 1000  # rows checked between two progress reports of an import job
METRICS = {m.value for m in BaseMetric}
UPDATED_FIELDS = ["value", "currency", "received_at"]


@dataclass(frozen=True)
class MetricRow:
    """One number as it arrived, before checking: `row` is its place in the file."""

    row: int
    program: Any
    service: Any
    date: Any
    metric: Any
    value: Any
    currency: Any = ""


@dataclass(frozen=True)
class _Program:
    lines: dict[str, int]  # service code -> service id
    currency: str


def _programs(ids: set[int], visible: Any) -> dict[int, _Program]:
    """The programs named, with their lines and currency (three queries)."""
    found = visible.filter(pk__in=ids).prefetch_related("lines__service")
    currencies = dict(
        ProgramTerms.objects.filter(program_id__in=ids).values_list("program_id", "currency")
    )
    return {
        program.pk: _Program(
            lines={line.service.code: line.service_id for line in program.lines.all()},
            currency=currencies.get(program.pk, settings.PERFORMANCE_CURRENCY),
        )
        for program in found
    }


def _parse_date(value: Any, fmt: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(as_text(value), fmt).date()
    except ValueError:
        return None


def _parse_number(value: Any, source: MetricSource | None) -> Decimal | None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    text = as_text(value).replace("\u00a0", "").replace(" ", "")
    thousands = source.thousands if source else ","
    decimal_mark = source.decimal if source else "."
    if thousands:
        text = text.replace(thousands, "")
    if decimal_mark != ".":
        text = text.replace(decimal_mark, ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def check_rows(
    rows: Sequence[MetricRow],
    *,
    source: MetricSource,
    visible_programs: Any,
    today: date,
    date_format: str = "%Y-%m-%d",
    progress: Progress | None = None,
) -> tuple[list[MetricValue], list[Problem]]:
    """The rows as metric values, or every problem found (then the values are useless).
    `progress`, if given, is told how many rows are checked every PROGRESS_EVERY."""
    problems: list[Problem] = []
    ids = {pk for item in rows if (pk := parse_id(as_text(item.program)))}
    programs = _programs(ids, visible_programs)
    values: list[MetricValue] = []
    seen: dict[tuple, int] = {}
    now = timezone.now()
    for number, item in enumerate(rows, 1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number, len(rows))
        bad = len(problems)

        def fail(column: str, message: str, item: MetricRow = item) -> None:
            problems.append(Problem(item.row, column, message))

        program_text = as_text(item.program)
        program_id = parse_id(program_text)
        program = programs.get(program_id) if program_id else None
        if program is None:
            fail("program", f"No program {program_text or '(blank)'} that you may report on.")
        service_code = as_text(item.service)
        service_id = program.lines.get(service_code) if program else None
        if program is not None and service_id is None:
            fail("service", f"The program has no {service_code or '(blank)'} line.")
        day = _parse_date(item.date, date_format)
        if day is None:
            fail("date", f"{as_text(item.date) or '(blank)'} is not a date like {date_format}.")
        elif day > today:
            fail("date", f"{day.isoformat()} is in the future.")
        metric = as_text(item.metric).lower()
        if metric not in METRICS:
            fail("metric", f"Unknown metric {metric or '(blank)'}; use one of {sorted(METRICS)}.")
        value = _parse_number(item.value, source)
        if value is None:
            fail("value", f"{as_text(item.value) or '(blank)'} is not a number.")
        elif value < 0:
            fail("value", f"A negative {metric or 'value'} ({value}) cannot be right.")
        currency = as_text(item.currency).upper() or source.currency
        if metric in MONEY_METRICS and program is not None:
            currency = currency or program.currency
            if currency != program.currency:
                fail(
                    "currency",
                    f"{currency} does not match the program's currency {program.currency}.",
                )
        elif metric not in MONEY_METRICS:
            currency = ""
        if len(problems) > bad:
            continue
        assert program is not None and day is not None and value is not None
        assert service_id is not None
        key = (int(program_text), service_id, day, metric)
        if key in seen:
            fail("date", f"Repeats row {seen[key]} (same program, line, day and metric).")
            continue
        seen[key] = item.row
        values.append(
            MetricValue(
                program_id=key[0],
                service_id=service_id,
                source=source,
                date=day,
                metric=metric,
                value=value.quantize(Decimal("0.0001")),
                currency=currency,
                received_at=now,
            )
        )
    return values, problems


def _stored(values: list[MetricValue], source: MetricSource) -> dict[tuple, tuple]:
    """What is stored for the programs and days of `values` (one query per batch)."""
    if not values:
        return {}
    found = MetricValue.objects.filter(
        source=source,
        program_id__in={v.program_id for v in values},
        date__range=(min(v.date for v in values), max(v.date for v in values)),
    ).values_list("program_id", "service_id", "date", "metric", "value", "currency")
    return {(p, s, d, m): (val, cur) for p, s, d, m, val, cur in found.iterator(chunk_size=20000)}


def upsert(values: list[MetricValue], source: MetricSource, report: ImportReport) -> None:
    """Write what is new or changed; count what was created, replaced or already there."""
    for start in range(0, len(values), BATCH * 20):
        chunk = values[start : start + BATCH * 20]
        stored = _stored(chunk, source)
        changed = []
        for value in chunk:
            before = stored.get((value.program_id, value.service_id, value.date, value.metric))
            if before is None:
                report.created += 1
            elif before == (value.value, value.currency):
                report.unchanged += 1
                continue
            else:
                report.updated += 1
            changed.append(value)
        MetricValue.objects.bulk_create(
            changed,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["program", "service", "source", "date", "metric"],
            update_fields=UPDATED_FIELDS,
        )


def import_rows(
    rows: Sequence[MetricRow],
    *,
    source: MetricSource,
    visible_programs: Any,
    today: date,
    kind: str = "metrics",
    date_format: str = "%Y-%m-%d",
    dry_run: bool = False,
) -> ImportReport:
    report = ImportReport(kind=kind, dry_run=dry_run, rows=len(rows))
    values, problems = check_rows(
        rows, source=source, visible_programs=visible_programs, today=today, date_format=date_format
    )
    if problems:
        report.errors = problems
        return report
    with transaction.atomic():
        upsert(values, source, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


# Files ----------------------------------------------------------------------------------


def _heading_index(headings: list[str], wanted: str, problems: list[Problem]) -> int | None:
    if not wanted:
        return None
    lowered = [h.strip().lower() for h in headings]
    if wanted.strip().lower() not in lowered:
        problems.append(Problem(None, wanted, f"The file has no column {wanted!r}."))
        return None
    return lowered.index(wanted.strip().lower())


def rows_from_file(content: bytes, filename: str, source: MetricSource) -> list[MetricRow]:
    """The file's rows as metric rows, read through the source's saved mapping."""
    records = read_records(content, filename)
    if not records:
        raise FileProblem("The file is empty.")
    headings = [as_text(h) for h in records[0]]
    mapping = source.mapping or {}
    problems: list[Problem] = []
    where = {
        name: _heading_index(headings, mapping.get(name, ""), problems)
        for name in ("date", "program", "service", "metric", "value", "currency")
    }
    metric_columns = {
        metric: _heading_index(headings, heading, problems)
        for metric, heading in (mapping.get("metrics") or {}).items()
    }
    for needed in ("date", "program", "service"):
        if not mapping.get(needed):
            problems.append(Problem(None, needed, f"The mapping names no {needed} column."))
    if not metric_columns and not (mapping.get("metric") and mapping.get("value")):
        problems.append(
            Problem(None, "metrics", "The mapping names neither metric columns nor metric/value.")
        )
    if problems:
        raise FileProblem("; ".join(p.message for p in problems))

    def cell(record: list[Any], index: int | None) -> Any:
        return record[index] if index is not None and index < len(record) else ""

    rows: list[MetricRow] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(as_text(c) for c in record):
            continue
        common = {
            "row": number,
            "program": cell(record, where["program"]),
            "service": cell(record, where["service"]),
            "date": cell(record, where["date"]),
            "currency": cell(record, where["currency"]),
        }
        if metric_columns:
            for metric, index in metric_columns.items():
                if as_text(cell(record, index)) != "":
                    rows.append(MetricRow(metric=metric, value=cell(record, index), **common))
        else:
            rows.append(
                MetricRow(
                    metric=cell(record, where["metric"]),
                    value=cell(record, where["value"]),
                    **common,
                )
            )
    return rows


def import_file(
    content: bytes,
    filename: str,
    *,
    source: MetricSource,
    visible_programs: Any,
    today: date,
    dry_run: bool = False,
) -> ImportReport:
    try:
        rows = rows_from_file(content, filename, source)
    except FileProblem as problem:
        report = ImportReport(kind="metrics", dry_run=dry_run)
        report.errors = [Problem(None, problem.column or "file", str(problem))]
        return report
    return import_rows(
        rows,
        source=source,
        visible_programs=visible_programs,
        today=today,
        date_format=source.date_format,
        dry_run=dry_run,
    )


def check_upfront(content: bytes, filename: str, source: MetricSource) -> ImportReport:
    """What a file shows wrong before it is queued, cheaply: its type, size, a workbook's
    zip directory; a CSV is read in full (quick) for encoding, quoting and the mapping's
    columns. Rows are not checked: the worker does that."""
    report = ImportReport(kind="metrics", dry_run=True)
    try:
        if check_before_reading(content, filename) == "csv":
            report.rows = len(rows_from_file(content, filename, source))
    except FileProblem as problem:
        report.errors = [Problem(None, problem.column or "file", str(problem))]
        report.too_large = problem.too_large
    return report


def check_file(
    content: bytes,
    filename: str,
    *,
    source: MetricSource,
    visible_programs: Any,
    today: date,
    progress: Progress,
) -> ImportReport:
    """Every row of a file checked, nothing written (an import job's first step)."""
    report = ImportReport(kind="metrics", dry_run=True)
    try:
        rows = rows_from_file(content, filename, source)
    except FileProblem as problem:
        report.errors = [Problem(None, problem.column or "file", str(problem))]
        return report
    report.rows = len(rows)
    progress(0, len(rows))
    _values, report.errors = check_rows(
        rows,
        source=source,
        visible_programs=visible_programs,
        today=today,
        date_format=source.date_format,
        progress=progress,
    )
    progress(len(rows), len(rows))
    return report


def metric_rows(items: Iterable[dict[str, Any]]) -> list[MetricRow]:
    """API items (numbered from 1) as metric rows."""
    return [
        MetricRow(
            row=number,
            program=item.get("program"),
            service=item.get("service"),
            date=item.get("date"),
            metric=item.get("metric"),
            value=item.get("value"),
            currency=item.get("currency") or "",
        )
        for number, item in enumerate(items, start=1)
    ]
