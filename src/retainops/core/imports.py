"""Imports the worker runs: an upload kept under DATA_DIR, its job row, and the kinds of
file the apps know how to import.

An app registers an `ImportKind` in its ``AppConfig.ready()``; core knows none of them.
The page or API that takes an upload checks what is cheap (size, a workbook's zip
directory, a CSV's encoding, quoting and headings), then calls `queue_import` and
answers at once with the job. The worker's source (`SOURCE`) runs a job in steps:
  1. Claim it by compare-and-set: a queued job, or a running one whose heartbeat went
     stale (its worker died); each claim has its own token in `claimed_by`.
  2. Check every row (`ImportKind.check`), writing nothing and reporting progress as
     it goes, so the page shows rows read of all and a bad file fails early.
  3. If every row is good, in ONE transaction: lock the job row, make sure this claim
     still holds it, write every row (`ImportKind.write`, which checks again against
     what the database holds now), and mark the job succeeded. The rows and the
     success commit together, so a worker killed while writing leaves nothing written
     and the job running; the next claim does it all again, once.
  4. Otherwise mark it failed with the problems by row and column.
Progress is reported outside the write transaction, where other connections can see
it; while rows are written the page says so and holds at the rows checked.
"""

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from retainops.core.access import sees_all_units
from retainops.core.capabilities import Capability
from retainops.core.choices import JobState
from retainops.core.due_work import DueWorkSource
from retainops.core.models import ImportJob
from retainops.core.timer_rows import claimable
from retainops.core.transitions import move

log = logging.getLogger(__name__)

SWEEP_ORDER = 45  # after the messages (an import is long), before the order files
PROGRESS_EVERY = 200  # rows between two progress writes

Progress = Callable[[int, int], None]  # (rows read, rows in all)
Result = dict[str, Any]  # counts and "errors": [{"row", "column", "message"}]


@dataclass(frozen=True)
class ImportKind:
    """A kind of file an app imports through the worker.

    `authorise(by, options)` raises PermissionDenied when the person may not queue it.
    `check(job, content, progress)` reads and checks every row and writes nothing;
    `write(job, content)` checks again and writes, inside the job's transaction. Both
    return a Result; one with errors means nothing is (or stays) written. `back_url`
    names the page to import another file, `done_url` the page where the rows show.
    """

    kind: str
    label: str
    authorise: Callable[[Any, dict[str, Any]], None]
    check: Callable[[ImportJob, bytes, Progress], Result]
    write: Callable[[ImportJob, bytes], Result]
    back_url: str
    done_url: str = ""


_kinds: dict[str, ImportKind] = {}


def register_import(kind: ImportKind) -> None:
    """Let the worker run imports of `kind`; registering the same kind again replaces it."""
    _kinds[kind.kind] = kind


def import_kind(name: str) -> ImportKind:
    return _kinds[name]


def import_kinds() -> list[ImportKind]:
    return sorted(_kinds.values(), key=lambda k: k.kind)


def problem(message: str, *, row: int | None = None, column: str = "") -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def tracked[T](items: list[T], progress: Progress, every: int | None = None) -> Iterator[T]:
    """The items one by one, telling `progress` how far along every `every` items."""
    every = every or PROGRESS_EVERY
    total = len(items)
    progress(0, total)
    for number, item in enumerate(items, 1):
        yield item
        if number % every == 0:
            progress(number, total)
    progress(total, total)


# Queueing -------------------------------------------------------------------------------


def imports_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def queue_import(
    *, by: Any, kind: str, file_name: str, content: bytes, options: dict[str, Any] | None = None
) -> ImportJob:
    """Keep the upload and queue its import; the worker takes it from there."""
    handler = import_kind(kind)
    handler.authorise(by, options or {})
    suffix = Path(file_name).suffix.lower()[:10]
    stored = f"{uuid.uuid4().hex}{suffix}"
    imports_dir().mkdir(parents=True, exist_ok=True)
    (imports_dir() / stored).write_bytes(content)
    return ImportJob.objects.create(
        kind=kind,
        file_name=Path(file_name).name[:255],
        stored_as=stored,
        options=options or {},
        requested_by=by,
    )


def visible_jobs(user: Any) -> QuerySet[ImportJob]:
    """The jobs a person may follow: their own; all of them for someone who imports
    across every unit. Anyone else is answered as if the job did not exist."""
    jobs = ImportJob.objects.select_related("requested_by")
    if not getattr(user, "is_authenticated", False):
        return jobs.none()
    if sees_all_units(user) and user.has_capability(Capability.IMPORT_DATA):
        return jobs
    return jobs.filter(requested_by=user)


# Running --------------------------------------------------------------------------------


def _stale(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.IMPORT_STALE_SECONDS)


def run_job(job: ImportJob, *, worker: str = "") -> ImportJob:
    """Claim the job, check its rows, write them all or none; the job as it ends up.
    A job someone else claimed (and keeps alive) is left to them."""
    now = timezone.now()
    token = f"{worker}/{uuid.uuid4().hex[:12]}"[-160:]
    guard: dict[str, Any] = (
        {"state": JobState.QUEUED}
        if job.state == JobState.QUEUED
        else {"heartbeat_at__lt": _stale(now)}
    )
    claimed = move(
        job,
        "start",
        guard=guard,
        started_at=now,
        heartbeat_at=now,
        claimed_by=token,
        attempts=F("attempts") + 1,
        rows_read=0,
        step="Checking the rows",
    )
    if not claimed:
        job.refresh_from_db()
        return job
    result = _outcome(job, token)
    if result is not None and job.state != JobState.SUCCEEDED:
        move(job, "fail", guard={"claimed_by": token}, result=result, finished_at=timezone.now())
    job.refresh_from_db()
    if job.state == JobState.SUCCEEDED:
        (imports_dir() / job.stored_as).unlink(missing_ok=True)
    return job


def _outcome(job: ImportJob, token: str) -> Result | None:
    """The job's result; None when another claim took the job over meanwhile."""
    handler = _kinds.get(job.kind)
    if handler is None:
        return {"errors": [problem(f"No import of {job.kind!r} is known here.")]}
    try:
        content = (imports_dir() / job.stored_as).read_bytes()
        result = handler.check(job, content, _reporter(job, token))
        if result.get("errors"):
            return result
        return _write(job, handler, content, token, rows=result.get("rows", 0))
    except FileNotFoundError:
        return {"errors": [problem("The uploaded file is gone; upload it again.")]}
    except PermissionDenied as refusal:
        return {"errors": [problem(str(refusal) or "You may no longer import this.")]}
    except Exception as error:  # a bug must fail its job, not stop the worker
        log.exception("import job %s failed", job.pk)
        return {"errors": [problem(f"The import stopped on an error ({type(error).__name__}).")]}


def _write(
    job: ImportJob, handler: ImportKind, content: bytes, token: str, *, rows: int
) -> Result | None:
    ImportJob.objects.filter(pk=job.pk, claimed_by=token).update(
        step=f"Writing {rows:,} rows", heartbeat_at=timezone.now()
    )
    with transaction.atomic():
        # The job's row stays locked until the rows commit: a claim by another worker
        # waits for (or, on PostgreSQL, skips) it, and one that took it meanwhile shows.
        mine = claimable(ImportJob.objects.filter(pk=job.pk, claimed_by=token))
        if mine.filter(state=JobState.RUNNING).first() is None:
            return None
        result = handler.write(job, content)
        if result.get("errors"):
            transaction.set_rollback(True)
            return result
        now = timezone.now()
        move(
            job,
            "succeed",
            guard={"claimed_by": token},
            result=result,
            rows_read=F("rows_total"),
            heartbeat_at=now,
            finished_at=now,
            step="",
        )
        return result


def _reporter(job: ImportJob, token: str) -> Progress:
    def report(read: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk, claimed_by=token).update(
            rows_read=read, rows_total=total, heartbeat_at=timezone.now()
        )

    return report


# The worker's source --------------------------------------------------------------------


@dataclass
class SweepReport:
    imported: int = 0
    refused: int = 0

    @property
    def handled(self) -> int:
        return self.imported + self.refused


def one_file_per_pass(
    *,
    name: str,
    order: int,
    noun: str,
    due: Callable[[datetime], QuerySet[Any]],
    run: Callable[..., Any],
) -> DueWorkSource:
    """The worker's source for files imported in the background: each pass claims the
    oldest due row (queued, or running with a stale heartbeat: its worker died) and
    runs it with `run(row, worker=...)`, one file at a time because files are long.
    `noun` names what is imported in the worker's report ("imports", "order files")."""

    def sweep(*, now: datetime, worker: str = "", limit: int | None = None) -> SweepReport:
        report = SweepReport()
        with transaction.atomic():
            row = claimable(due(now)).first()
        if row is None:
            return report
        finished = run(row, worker=worker)
        if finished.state == JobState.SUCCEEDED:
            report.imported += 1
        elif finished.state == JobState.FAILED:
            report.refused += 1
        return report

    def drain(*, now: datetime, worker: str = "") -> SweepReport:
        total = SweepReport()
        while (report := sweep(now=now, worker=worker)).handled:
            total.imported += report.imported
            total.refused += report.refused
        return total

    def describe(report: SweepReport) -> str | None:
        if not report.handled:
            return None
        return f"{noun}: {report.imported} imported, {report.refused} refused"

    return DueWorkSource(name=name, order=order, sweep=sweep, drain=drain, describe=describe)


def due_jobs(now: datetime) -> QuerySet[ImportJob]:
    queued = ImportJob.objects.filter(state=JobState.QUEUED)
    abandoned = ImportJob.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=_stale(now))
    return (queued | abandoned).order_by("created_at", "id")


SOURCE = one_file_per_pass(
    name="imports", order=SWEEP_ORDER, noun="imports", due=due_jobs, run=run_job
)
sweep, drain = SOURCE.sweep, SOURCE.drain
