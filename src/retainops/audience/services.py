"""What people do with end-customer data: data sets, sources and their column
mappings, imports, the analysis (identities, segments, model), the analyst's merge
decisions, advice rules and channel costs.

Every change checks `audience.analyse` and the client's visibility to the person,
validates the whole row (a bad value raises ValidationError naming the field,
nothing written), saves with the acting person on the audit trail, and emits its
event. Heavy work (an import, the analysis) runs in the worker when a page asks
for it (`sweep`, a due-work source), or at once from the command line.
"""

import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from retainops.audience import analysis, events, ingest, resolve, warehouse
from retainops.audience.choices import Decision, Field, FileFormat, RunState
from retainops.audience.models import (
    AdviceRule,
    ChannelCost,
    ColumnMapping,
    DataSet,
    ImportRun,
    MergeDecision,
    Source,
)
from retainops.clients.models import Client
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.audit import delete_audited, save_audited
from retainops.core.capabilities import Capability
from retainops.core.events import emit
from retainops.core.imports import one_file_per_pass
from retainops.core.transitions import move

SWEEP_ORDER = 50  # after the messages: an import is long, it should not hold them up


def _allowed(by: Any, client: Client) -> None:
    require_capability(by, Capability.ANALYSE_AUDIENCE)
    if not visible_clients(by).filter(pk=client.pk).exists():
        raise PermissionDenied("That client is not one of yours.")


# Data sets, sources and mappings ----------------------------------------------------------


def create_data_set(*, by: Any, client: Client, name: str, **values: Any) -> DataSet:
    _allowed(by, client)
    data_set = DataSet(client=client, name=name.strip(), created_by=by, **values)
    if data_set.rfm_cutoffs:
        try:
            data_set.rfm_cutoffs = analysis.validate_cutoffs(data_set.rfm_cutoffs)
        except ValueError as error:
            raise ValidationError({"rfm_cutoffs": [str(error)]}) from None
    with transaction.atomic():
        save_audited(data_set, by)
    return data_set


def update_data_set(*, by: Any, data_set: DataSet, changes: dict[str, Any]) -> DataSet:
    _allowed(by, data_set.client)
    for name, value in changes.items():
        setattr(data_set, name, value)
    try:
        data_set.rfm_cutoffs = analysis.validate_cutoffs(data_set.rfm_cutoffs)
    except ValueError as error:
        raise ValidationError({"rfm_cutoffs": [str(error)]}) from None
    with transaction.atomic():
        save_audited(data_set, by)
    return data_set


def delete_data_set(*, by: Any, data_set: DataSet) -> None:
    _allowed(by, data_set.client)
    with transaction.atomic():
        pk = data_set.pk
        delete_audited(data_set, by)
        transaction.on_commit(lambda: warehouse.forget_data_set(pk))


def add_source(*, by: Any, data_set: DataSet, name: str, **values: Any) -> Source:
    _allowed(by, data_set.client)
    source = Source(data_set=data_set, name=name.strip(), **values)
    with transaction.atomic():
        save_audited(source, by)
    return source


def save_mapping(*, by: Any, source: Source, mapping: dict[str, str]) -> Source:
    """Replace the source's column mapping (field -> column; empty columns dropped)."""
    _allowed(by, source.data_set.client)
    problems: dict[str, list[str]] = {}
    cleaned = {}
    for field_name, column in mapping.items():
        if field_name not in Field.values:
            problems[field_name] = [f"{field_name!r} is not a field of an order."]
        elif column and str(column).strip():
            cleaned[field_name] = str(column).strip()
    for required in ("order_id", "ordered_on", "amount"):
        if required not in cleaned and required not in problems:
            problems[required] = [
                f"Choose the column that holds the {Field(required).label.lower()}."
            ]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        source.columns.all().delete()
        for field_name, column in cleaned.items():
            ColumnMapping.objects.create(source=source, field=field_name, column=column)
    return source


# Imports ----------------------------------------------------------------------------------


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def receive_file(*, by: Any, source: Source, name: str, content: IO[bytes]) -> ImportRun:
    """Keep an uploaded file and queue its import for the worker."""
    _allowed(by, source.data_set.client)
    suffix = Path(name).suffix.lower().lstrip(".")
    expected = {
        FileFormat.CSV: {"csv", "txt"},
        FileFormat.XLSX: {"xlsx"},
        FileFormat.PARQUET: {"parquet"},
    }
    if suffix not in expected[FileFormat(source.file_format)]:
        raise ValidationError(
            {
                "file": [
                    f"The source takes {FileFormat(source.file_format).label} files; "
                    f"this is .{suffix}."
                ]
            }
        )
    uploads_dir().mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.{suffix}"
    with (uploads_dir() / stored).open("wb") as target:
        shutil.copyfileobj(content, target, 1 << 20)
    with transaction.atomic():
        run = ImportRun(
            source=source, file_name=Path(name).name[:255], stored_as=stored, requested_by=by
        )
        save_audited(run, by)
    return run


def queue_path(*, by: Any, source: Source, path: Path) -> ImportRun:
    """An import of a file already on the server (the command line)."""
    _allowed(by, source.data_set.client) if by is not None else None
    uploads_dir().mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}{path.suffix.lower()}"
    shutil.copyfile(path, uploads_dir() / stored)
    return ImportRun.objects.create(
        source=source, file_name=path.name, stored_as=stored, requested_by=by
    )


def run_import(
    run: ImportRun,
    *,
    worker: str = "",
    progress: ingest.Progress | None = None,
    analyse_after: bool = True,
) -> ImportRun:
    """Claim the run (compare-and-set), import its file, record the outcome; then
    analyse the data set again when rows were added. A run someone else claimed
    (and keeps alive) is left to them."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.AUDIENCE_IMPORT_STALE_SECONDS)
    guard = (
        {"state": RunState.QUEUED} if run.state == RunState.QUEUED else {"heartbeat_at__lt": stale}
    )
    if not move(
        run, "start", guard=guard, started_at=now, heartbeat_at=now, claimed_by=worker[:120]
    ):
        run.refresh_from_db()
        return run
    source = Source.objects.select_related("data_set__client").get(pk=run.source_id)

    def report(read: int, total: int) -> None:
        ImportRun.objects.filter(pk=run.pk).update(
            rows_read=read, rows_total=total, heartbeat_at=timezone.now()
        )
        if progress is not None:
            progress(read, total)

    path = uploads_dir() / run.stored_as
    try:
        outcome = ingest.read_file(
            path, source=source, run_id=run.pk, display_name=run.file_name, progress=report
        )
    except (ingest.FileRefused, FileNotFoundError) as error:
        message = (
            str(error) if isinstance(error, ingest.FileRefused) else "The uploaded file is gone."
        )
        outcome = ingest.Outcome(
            error_count=1, errors=[ingest.RowError(run.file_name, 0, "", message)]
        )
    fields: dict[str, Any] = {
        "finished_at": timezone.now(),
        "file_hash": outcome.file_hash,
        "rows_read": outcome.rows_read,
        "rows_added": outcome.rows_added,
        "already_imported": outcome.already_imported,
        "error_count": outcome.error_count,
        "errors": [e.as_dict() for e in outcome.errors],
    }
    with transaction.atomic():
        move(run, "fail" if outcome.error_count else "succeed", **fields)
        run.refresh_from_db()
        emit(events.ImportFinished(run=run, by=run.requested_by))
    if run.state == RunState.SUCCEEDED:
        path.unlink(missing_ok=True)
        if analyse_after and outcome.rows_added:
            analyse(source.data_set)
    return run


# The analysis -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    resolution: resolve.Resolution
    scores: analysis.ScoreReport


def analyse(data_set: DataSet, *, by: Any = None, use_splink: bool = True) -> Analysis:
    """Resolve identities (with the analyst's decisions), then score every customer."""
    if by is not None:
        _allowed(by, data_set.client)
    decisions = list(data_set.decisions.all())
    splits = [d.record_key for d in decisions if d.decision == Decision.SPLIT]
    merges = [(d.record_key, d.other_key) for d in decisions if d.decision == Decision.MERGE]
    resolution = resolve.resolve(
        data_set.pk,
        threshold=data_set.match_threshold,
        splits=splits,
        merges=merges,
        use_splink=use_splink,
    )
    scores = analysis.score(
        data_set.pk,
        recent_days=data_set.recent_days,
        horizon_weeks=data_set.horizon_weeks,
        cutoffs=data_set.rfm_cutoffs,
    )
    DataSet.objects.filter(pk=data_set.pk).update(analysed_at=timezone.now())
    emit(events.DataSetAnalysed(data_set=data_set, customers=scores.customers, by=by))
    return Analysis(resolution, scores)


def decide(
    *,
    by: Any,
    data_set: DataSet,
    decision: str,
    record_key: str,
    other_key: str = "",
    reason: str = "",
) -> MergeDecision:
    """Record a split or a merge; the next analysis honours it."""
    _allowed(by, data_set.client)
    row = MergeDecision(
        data_set=data_set,
        decision=decision,
        record_key=record_key,
        other_key=other_key,
        reason=reason,
        decided_by=by,
    )
    with warehouse.connect(read_only=True) as db:
        known = {
            r[0]
            for r in db.execute(
                "SELECT record_key FROM identities WHERE data_set_id = ? AND record_key IN (?, ?)",
                [data_set.pk, record_key, other_key],
            ).fetchall()
        }
    if record_key not in known:
        raise ValidationError({"record_key": [f"No record {record_key!r} in this data set."]})
    if decision == Decision.MERGE and other_key not in known:
        raise ValidationError({"other_key": [f"No record {other_key!r} in this data set."]})
    with transaction.atomic():
        save_audited(row, by)
        emit(events.MergeDecided(decision=row, by=by))
    return row


# Advice -----------------------------------------------------------------------------------


def save_rule(
    *, by: Any, data_set: DataSet, rule: AdviceRule | None = None, **values: Any
) -> AdviceRule:
    _allowed(by, data_set.client)
    row = rule or AdviceRule(data_set=data_set)
    for name, value in values.items():
        setattr(row, name, value)
    with transaction.atomic():
        save_audited(row, by)
    return row


def delete_rule(*, by: Any, rule: AdviceRule) -> None:
    _allowed(by, rule.data_set.client)
    delete_audited(rule, by)


def save_cost(
    *, by: Any, data_set: DataSet, channel: str, cost_per_contact: Any, response_rate: float
) -> ChannelCost:
    _allowed(by, data_set.client)
    row = ChannelCost.objects.filter(data_set=data_set, channel=channel).first() or ChannelCost(
        data_set=data_set, channel=channel
    )
    row.cost_per_contact = cost_per_contact
    row.response_rate = response_rate
    with transaction.atomic():
        save_audited(row, by)
    return row


# The worker's source ----------------------------------------------------------------------


def due_runs(now: datetime) -> Any:
    stale = now - timedelta(seconds=settings.AUDIENCE_IMPORT_STALE_SECONDS)
    queued = ImportRun.objects.filter(state=RunState.QUEUED)
    abandoned = ImportRun.objects.filter(state=RunState.RUNNING, heartbeat_at__lt=stale)
    return (queued | abandoned).order_by("created_at", "id")


# One order file per pass (they are long): the oldest queued run, or one whose worker
# stopped reporting.
SOURCE = one_file_per_pass(
    name="audience", order=SWEEP_ORDER, noun="order files", due=due_runs, run=run_import
)
sweep, drain = SOURCE.sweep, SOURCE.drain
