"""Firing due timers: reminders, escalations and the ends of waits, each exactly once.

Steps of one pass (`fire_due`):
  1. In one transaction, read up to a batch of due timers, oldest first, from
     the partial index that holds only pending timers (so the cost follows
     what is due, not what exists); on PostgreSQL `FOR UPDATE SKIP LOCKED`
     lets several workers take disjoint batches, on SQLite the IMMEDIATE
     transaction serialises them.
  2. Fire each inside a savepoint: queue its message in the outbox, escalate,
     or end the wait and move the run on.
  3. Mark it fired, in the same transaction.
A worker that dies before the commit leaves every timer of its batch pending
and no message queued, so the next pass fires each once; a timer whose
effect fails is marked fired with the error, so one bad row cannot block the rest.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet

from retainops.messaging.services import queue_from_template
from retainops.playbooks import engine
from retainops.playbooks.choices import EventKind, TaskState, TimerKind
from retainops.playbooks.models import Task, Timer
from retainops.playbooks.owners import owners_of, people_for, user_specs
from retainops.playbooks.subjects import subject_scope
from retainops.playbooks.timeline import record
from retainops.playbooks.variables import task_variables

log = logging.getLogger(__name__)
REMINDER_TEMPLATE = "task-reminder"
ESCALATION_TEMPLATE = "task-escalation"


@dataclass
class TimerReport:
    fired: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.fired + self.failed


def due_timers(now: datetime) -> QuerySet[Timer]:
    due = Timer.objects.due(now).order_by("due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due


def fire_due(*, now: datetime, limit: int | None = None) -> TimerReport:
    """One pass: fire up to a batch of due timers, all in one transaction."""
    report = TimerReport()
    with transaction.atomic():
        batch = list(
            due_timers(now).select_related("task__run__version", "task__client")[
                : limit or settings.WORKER_BATCH_SIZE
            ]
        )
        for timer in batch:
            outcome, ok = _fire_safely(timer)
            Timer.objects.filter(pk=timer.pk, fired_at__isnull=True).update(
                fired_at=now, outcome=outcome[:300]
            )
            report.fired += ok
            report.failed += not ok
    return report


def fire_all_due(*, now: datetime) -> TimerReport:
    """Pass after pass until no timer is due at `now` (what `retainops tick` does)."""
    total = TimerReport()
    while True:
        report = fire_due(now=now)
        if not report.handled:
            return total
        total.fired += report.fired
        total.failed += report.failed


def _fire_safely(timer: Timer) -> tuple[str, bool]:
    try:
        with transaction.atomic(), subject_scope():
            return fire(timer), True
    except Exception as error:
        log.exception("timer %s failed", timer.pk)
        return f"failed: {type(error).__name__}: {error}", False


def fire(timer: Timer) -> str:
    task = timer.task
    if task.state != TaskState.OPEN:
        return f"nothing to do: the task is {task.get_state_display().lower()}"
    if timer.kind == TimerKind.REMIND:
        return _remind(task, timer)
    if timer.kind == TimerKind.ESCALATE:
        return _escalate(task, timer)
    if timer.kind == TimerKind.MISSED:
        return _record_missed(task)
    return _end_wait(task)


def _record_missed(task: Task) -> str:
    record(
        task.client_id,
        EventKind.TASK_MISSED,
        f"{task.title} was not done by its due time ({task.owner_label})",
        run=task.run,
        task=task,
    )
    return "recorded as missed"


def _notify(task: Task, template: str, specs: list[str]) -> str:
    if not specs:
        return "no one to tell: no one with an e-mail address holds the task"
    try:
        message = queue_from_template(
            template_code=template,
            to=specs,
            client=task.client,
            cause=f"playbook {task.run.version.playbook.key}: {task.step_key}",
            extra=task_variables(task),
            run=task.run,
        )
    except ValidationError as error:
        return "not sent: " + "; ".join(m for ms in error.message_dict.values() for m in ms)
    return f"message {message.pk} queued to {message.recipients.count()} recipient(s)"


def _remind(task: Task, timer: Timer) -> str:
    reminder = task.step.remind[timer.slot]
    people = owners_of(task) if reminder.to == "owner" else people_for(reminder.to, task)
    return _notify(task, REMINDER_TEMPLATE, user_specs(people))


def _escalate(task: Task, timer: Timer) -> str:
    escalation = task.step.escalate[timer.slot]
    targets = people_for(escalation.to, task)
    Task.objects.filter(pk=task.pk).update(escalated_at=timer.due_at)
    who = ", ".join(str(p) for p in targets) or escalation.to
    record(
        task.client_id,
        EventKind.TASK_MISSED,
        f"{task.title} was not done by its due time; escalated to {who}",
        run=task.run,
        task=task,
    )
    outcome = _notify(task, ESCALATION_TEMPLATE, user_specs(targets))
    if escalation.reassign and len(targets) == 1 and targets[0].pk != task.assignee_id:
        Task.objects.filter(pk=task.pk).update(assignee=targets[0], queue_team=None, queue_role="")
        outcome += f"; reassigned to {targets[0]}"
    return outcome


def _end_wait(task: Task) -> str:
    engine.close(task, "complete", by=None, note="the wait ended")
    engine.advance(task.run, by=None)
    return "wait ended"
