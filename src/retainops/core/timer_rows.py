"""Firing timer rows: how the worker takes its share of due rows and fires each once.

A timer row has `due_at`, `fired_at` and `outcome`; its app says which rows are due
and what firing one does. One pass (`fire_due_rows`):
  1. In one transaction, read up to a batch of the due rows, oldest first; on
     PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers take disjoint batches,
     on SQLite the IMMEDIATE transaction serialises them.
  2. Fire each inside a savepoint (its message queued, its escalation...).
  3. Mark it fired with its outcome, in the same transaction.
A worker that dies before the commit leaves its whole batch pending and nothing
queued, so the next pass fires each once; a row whose effect fails is marked fired
with the error, so one bad row cannot hold up the rest.

`fire_due_sets` is the same pass for an app that fires a batch together (reading what
its rows need in a few queries, writing their effects with bulk inserts): the batch is
fired inside one savepoint and its rows marked with one UPDATE. If firing the set fails
as a whole, the savepoint is rolled back and the batch fired one row at a time as above,
so the failure stays with the row that caused it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Model, QuerySet, Value, When

log = logging.getLogger(__name__)


@dataclass
class FireReport:
    fired: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.fired + self.failed


def claimable[Row: Model](rows: QuerySet[Row]) -> QuerySet[Row]:
    """The rows, locked so that a concurrent worker skips them where the database can."""
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True, of=("self",))
    return rows


def fire_due_rows[Row: Model](
    due: QuerySet[Row], *, now: datetime, limit: int | None, fire: Callable[[Row], str]
) -> FireReport:
    """One pass over up to a batch of `due` (ordered, with what firing needs joined)."""
    report = FireReport()
    with transaction.atomic():
        batch = list(claimable(due)[: limit or settings.WORKER_BATCH_SIZE])
        for row in batch:
            outcome, ok = _fire_safely(row, fire)
            type(row)._default_manager.filter(pk=row.pk, fired_at__isnull=True).update(
                fired_at=now, outcome=outcome[:300]
            )
            report.fired += ok
            report.failed += not ok
    return report


def fire_due_sets[Row: Model](
    due: QuerySet[Row],
    *,
    now: datetime,
    limit: int | None,
    fire_set: Callable[[list[Row]], list[tuple[str, bool]]],
    fire: Callable[[Row], str],
) -> FireReport:
    """One pass over up to a batch of `due`, fired together by `fire_set` (an outcome and
    whether it succeeded, for each row in order); `fire` fires one row alone, for the
    fallback."""
    report = FireReport()
    with transaction.atomic():
        batch = list(claimable(due)[: limit or settings.WORKER_BATCH_SIZE])
        if not batch:
            return report
        try:
            with transaction.atomic():
                results = fire_set(batch)
        except Exception:  # the set failed as a whole: fire each alone, each its own savepoint
            log.exception("a batch of %d %s failed together", len(batch), type(batch[0]).__name__)
            results = [_fire_safely(row, fire) for row in batch]
        _mark_fired(batch, [outcome for outcome, _ok in results], now)
        report.fired = sum(ok for _outcome, ok in results)
        report.failed = len(results) - report.fired
    return report


def _mark_fired[Row: Model](batch: list[Row], outcomes: list[str], now: datetime) -> None:
    """Every row of the batch fired, each with its outcome, in one UPDATE."""
    by_row = [
        When(pk=row.pk, then=Value(outcome[:300]))
        for row, outcome in zip(batch, outcomes, strict=True)
    ]
    type(batch[0])._default_manager.filter(
        pk__in=[row.pk for row in batch], fired_at__isnull=True
    ).update(fired_at=now, outcome=Case(*by_row, output_field=CharField()))


def failure(error: Exception) -> str:
    """The outcome of a row whose effect raised: its error."""
    return f"failed: {type(error).__name__}: {error}"


def fire_until_none_due(one_pass: Callable[[], FireReport]) -> FireReport:
    """Pass after pass until a pass finds nothing due (what `retainops tick` does)."""
    total = FireReport()
    while (report := one_pass()).handled:
        total.fired += report.fired
        total.failed += report.failed
    return total


def _fire_safely(row: Any, fire: Callable[[Any], str]) -> tuple[str, bool]:
    try:
        with transaction.atomic():
            return fire(row), True
    except Exception as error:  # one bad row must not stop the batch: its error is its outcome
        log.exception("%s %s failed", type(row).__name__, row.pk)
        return failure(error), False
