"""Firing the complaints' clock timers: the warning to the owner, the breach to the team
lead, the second level to the department manager, each exactly once.

Steps of one pass (`fire_due`), the pattern of the playbook timers:
  1. In one transaction, read up to a batch of due timers, oldest first, from the
     partial index that holds only pending ones; on PostgreSQL `FOR UPDATE SKIP LOCKED`
     lets several workers take disjoint batches, on SQLite the IMMEDIATE transaction
     serialises them.
  2. Fire each inside a savepoint: queue its message in the outbox.
  3. Mark it fired, in the same transaction.
A worker killed before the commit leaves its whole batch pending and no message queued,
so the next pass sends each once; a timer whose message fails is marked fired with the
error, so one bad row cannot hold up the rest.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse

from retainops.complaints import events
from retainops.complaints.choices import ClockLevel
from retainops.complaints.clocks import read_clock
from retainops.complaints.models import ClockTimer, Complaint, ComplaintActivity
from retainops.core.choices import RoleCode
from retainops.core.due_work import DueWorkSource
from retainops.core.events import emit
from retainops.core.models import User
from retainops.messaging.services import queue_from_template

log = logging.getLogger(__name__)

TEMPLATES = {
    ClockLevel.WARNING: "complaint-clock-warning",
    ClockLevel.BREACH: "complaint-clock-breached",
    ClockLevel.SECOND_LEVEL: "complaint-clock-second-level",
}
LEVEL_ROLES = {
    ClockLevel.BREACH: RoleCode.TEAM_LEAD,
    ClockLevel.SECOND_LEVEL: RoleCode.DEPARTMENT_MANAGER,
}
# After the playbook timers, before the outbox, so a notice leaves in the same pass.
NOTICE_ORDER = 15


@dataclass
class NoticeReport:
    fired: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.fired + self.failed


def due_timers(now: datetime) -> QuerySet[ClockTimer]:
    due = ClockTimer.objects.due(now).order_by("due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due


def fire_due(*, now: datetime, limit: int | None = None) -> NoticeReport:
    """One pass: fire up to a batch of due clock timers, all in one transaction."""
    report = NoticeReport()
    with transaction.atomic():
        batch = list(
            due_timers(now).select_related(
                "complaint__client__business_unit__complaint_calendar", "complaint__owner"
            )[: limit or settings.WORKER_BATCH_SIZE]
        )
        for timer in batch:
            outcome, ok = _fire_safely(timer, now)
            ClockTimer.objects.filter(pk=timer.pk, fired_at__isnull=True).update(
                fired_at=now, outcome=outcome[:300]
            )
            report.fired += ok
            report.failed += not ok
    return report


def fire_all_due(*, now: datetime) -> NoticeReport:
    """Pass after pass until no clock timer is due at `now` (what `retainops tick` does)."""
    total = NoticeReport()
    while True:
        report = fire_due(now=now)
        if not report.handled:
            return total
        total.fired += report.fired
        total.failed += report.failed


def _fire_safely(timer: ClockTimer, now: datetime) -> tuple[str, bool]:
    try:
        with transaction.atomic():
            return fire(timer, now), True
    except Exception as error:
        log.exception("complaint clock timer %s failed", timer.pk)
        return f"failed: {type(error).__name__}: {error}", False


def recipients(timer: ClockTimer) -> list[User]:
    """The owner for a warning; the unit's team leads at the breach, its department
    managers at the second level."""
    complaint = timer.complaint
    if timer.level == ClockLevel.WARNING:
        return [complaint.owner] if complaint.owner.is_active else []
    return list(
        User.objects.filter(
            is_active=True,
            roles__code=LEVEL_ROLES[ClockLevel(timer.level)],
            business_units=complaint.client.business_unit_id,
        )
        .distinct()
        .order_by("username")
    )


def fire(timer: ClockTimer, now: datetime) -> str:
    complaint = timer.complaint
    reading = read_clock(complaint, timer.clock, now)
    people = [p for p in recipients(timer) if p.email]
    what = f"{timer.get_clock_display()} clock: {timer.get_level_display().lower()}"
    if not people:
        outcome = "no one to tell: nobody with an e-mail address holds the role in the unit"
    else:
        outcome = _queue(timer, reading, people)
    ComplaintActivity.objects.create(complaint=complaint, what=f"{what}; {outcome}"[:300])
    emit(events.ClockAlerted(complaint=complaint, clock=timer.clock, level=timer.level))
    return outcome


def _queue(timer: ClockTimer, reading: Any, people: list[User]) -> str:
    complaint = timer.complaint
    try:
        message = queue_from_template(
            template_code=TEMPLATES[ClockLevel(timer.level)],
            to=[f"user:{p.username}" for p in people],
            client=complaint.client,
            cause=f"complaint {complaint.pk}: {timer.clock} {timer.level}",
            extra={"complaint": complaint_variables(complaint, reading)},
        )
    except ValidationError as error:
        return "not sent: " + "; ".join(m for ms in error.message_dict.values() for m in ms)
    return f"message {message.pk} queued to {message.recipients.count()} recipient(s)"


def complaint_variables(complaint: Complaint, reading: Any) -> dict[str, Any]:
    """What a notice's template may say of the complaint and its clock."""
    return {
        "summary": complaint.summary,
        "severity": complaint.get_severity_display(),
        "status": complaint.get_status_display(),
        "owner": str(complaint.owner),
        "clock": reading.clock.replace("_", " "),
        "left": reading.left_label,
        "due_at": reading.due_at,
        "url": settings.SITE_URL.rstrip("/") + reverse("complaints:detail", args=[complaint.pk]),
    }


def describe(report: NoticeReport) -> str | None:
    if not report.handled:
        return None
    return f"complaint clocks: {report.fired} told, {report.failed} failed"


def _sweep(*, now: datetime, worker: str) -> NoticeReport:
    return fire_due(now=now)


def _drain(*, now: datetime, worker: str) -> NoticeReport:
    return fire_all_due(now=now)


SOURCE = DueWorkSource(
    name="complaint-clocks", order=NOTICE_ORDER, sweep=_sweep, drain=_drain, describe=describe
)
