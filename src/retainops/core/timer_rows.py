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
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet

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
        return f"failed: {type(error).__name__}: {error}", False
