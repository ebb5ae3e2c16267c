"""Firing the complaints' clock timers: the warning to the owner, the breach to the team
lead, the second level to the department manager, each exactly once.

A pass claims, fires and marks a batch as every timer row does (core/timer_rows.py:
one transaction, a savepoint per timer, SKIP LOCKED on PostgreSQL); this module says
which clock timers are due and what firing one does: queue its notice in the outbox.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
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
from retainops.core.site import absolute
from retainops.core.timer_rows import FireReport, claimable, fire_due_rows, fire_until_none_due
from retainops.messaging.services import queue_from_template

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


# What a pass of the clock timers did (the shared report of timer rows).
NoticeReport = FireReport


def due_timers(now: datetime) -> QuerySet[ClockTimer]:
    return claimable(ClockTimer.objects.due(now).order_by("due_at", "id"))


def fire_due(*, now: datetime, limit: int | None = None) -> NoticeReport:
    """One pass: fire up to a batch of due clock timers, all in one transaction."""
    due = ClockTimer.objects.due(now).order_by("due_at", "id")
    return fire_due_rows(
        due.select_related(
            "complaint__client__business_unit__complaint_calendar", "complaint__owner"
        ),
        now=now,
        limit=limit,
        fire=lambda timer: fire(timer, now),
    )


def fire_all_due(*, now: datetime) -> NoticeReport:
    """Pass after pass until no clock timer is due at `now` (what `retainops tick` does)."""
    return fire_until_none_due(lambda: fire_due(now=now))


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
        "url": absolute(reverse("complaints:detail", args=[complaint.pk])),
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
