"""The occurrence sweep, a source of due work for the worker.

Steps of one pass (`sweep`):
  1. Write ahead: active plan items whose occurrences stop short of the horizon (less
     a day, so a pass does not rewrite an item each time) get their next occurrences;
     rows are unique per item and instant, so two workers writing one item add nothing
     twice.
  2. Remind: open occurrences whose reminder is due are claimed (`FOR UPDATE SKIP
     LOCKED` on PostgreSQL, the write lock on SQLite) and their owner is sent one
     reminder through the outbox, `reminded_at` written in the same transaction; a
     reminder whose occurrence is already past is marked without a message.
  3. Miss: open occurrences whose late window has passed move to missed by
     compare-and-set.
A worker killed mid-pass leaves each step's batch as it was (one transaction each),
so the next pass does it once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from retainops.cadence import events
from retainops.cadence.choices import ItemState, OccurrenceState
from retainops.cadence.models import Occurrence, PlanItem
from retainops.cadence.services import horizon, write_occurrences
from retainops.core.due_work import DueWorkSource
from retainops.core.events import emit
from retainops.core.site import site_url
from retainops.core.timer_rows import claimable
from retainops.core.transitions import move
from retainops.messaging.services import Outgoing, queue_message

OPEN = [OccurrenceState.PLANNED, OccurrenceState.MOVED]
# Before the playbook timers and the outbox: a reminder queued here leaves in the same pass.
SWEEP_ORDER = 5


@dataclass
class SweepReport:
    written: int = 0  # plan items brought up to the horizon
    reminded: int = 0
    missed: int = 0

    @property
    def handled(self) -> int:
        return self.written + self.reminded + self.missed

    def add(self, other: "SweepReport") -> None:
        self.written += other.written
        self.reminded += other.reminded
        self.missed += other.missed


def items_to_write(now: datetime) -> QuerySet[PlanItem]:
    short = horizon(now) - timedelta(days=1)
    # An active item always has `written_until` (its occurrences are written when it
    # is added or resumed), so one range on the (state, written_until) index finds it.
    return PlanItem.objects.filter(state=ItemState.ACTIVE, written_until__lt=short)


def write_ahead(*, now: datetime, limit: int) -> int:
    with transaction.atomic():
        batch = list(
            claimable(items_to_write(now)).select_related("client", "kind").order_by("id")[:limit]
        )
        for item in batch:
            write_occurrences(item, now=now)
        return len(batch)


def send_reminders(*, now: datetime, limit: int) -> int:
    with transaction.atomic():
        due = Occurrence.objects.filter(
            settled_at__isnull=True, reminded_at__isnull=True, remind_at__lte=now
        )
        batch = list(
            claimable(due)
            .select_related("client", "item__kind", "assignee")
            .order_by("remind_at", "id")[:limit]
        )
        for occurrence in batch:
            if occurrence.due_at > now:
                _remind(occurrence)
            Occurrence.objects.filter(pk=occurrence.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
        return len(batch)


def _remind(occurrence: Occurrence) -> None:
    owner = occurrence.assignee
    if owner is None or not owner.email:
        return
    when = timezone.localtime(occurrence.due_at).strftime("%A %d %B %Y, %H:%M")
    kind = occurrence.item.kind.label
    outgoing = Outgoing(
        subject=f"Reminder: {kind} with {occurrence.client.name}, {when}",
        body_text=(
            f"{kind} with {occurrence.client.name} is planned for {when} "
            f"({occurrence.get_channel_display()}).\n\n"
            f"{site_url()}/clients/{occurrence.client_id}/cadence/\n"
        ),
        to=[f"user:{owner.username}"],
    )
    queue_message(outgoing=outgoing, client=occurrence.client, cause="contact plan reminder")


def mark_missed(*, now: datetime, limit: int) -> int:
    with transaction.atomic():
        due = Occurrence.objects.filter(settled_at__isnull=True, late_until__lt=now)
        batch = list(claimable(due).order_by("late_until", "id")[:limit])
        missed = 0
        for occurrence in batch:
            if move(occurrence, "miss", settled_at=now):
                missed += 1
                emit(events.OccurrenceSettled(occurrence=occurrence))
        return missed


def sweep(*, now: datetime, worker: str = "", limit: int | None = None) -> SweepReport:
    """One pass of the three steps, each on up to a batch."""
    size = limit or settings.WORKER_BATCH_SIZE
    return SweepReport(
        written=write_ahead(now=now, limit=size),
        reminded=send_reminders(now=now, limit=size),
        missed=mark_missed(now=now, limit=size),
    )


def drain(*, now: datetime, worker: str = "") -> SweepReport:
    """Pass after pass until nothing is due at `now` (what `retainops tick` does)."""
    total = SweepReport()
    while True:
        report = sweep(now=now, worker=worker)
        total.add(report)
        if not report.handled:
            return total


def describe(report: SweepReport) -> str | None:
    if not report.handled:
        return None
    return (
        f"contact plans: {report.written} written ahead, "
        f"{report.reminded} reminders, {report.missed} missed"
    )


SOURCE = DueWorkSource(
    name="cadence", order=SWEEP_ORDER, sweep=sweep, drain=drain, describe=describe
)
