"""Firing due timers: reminders, escalations and the ends of waits, each exactly once.

A pass claims, fires and marks a batch as every timer row does (core/timer_rows.py:
one transaction, a savepoint per timer, SKIP LOCKED on PostgreSQL); this module says
which timers are due, from the partial index of pending ones, and what firing one
does: queue its message in the outbox, escalate, or end the wait and move the run on.

A reminder found more than REMINDER_GRACE_HOURS after its moment (the worker was
stopped) is not sent late: it is marked missed (`missed_at`, its outcome) and the
timeline says so. Escalations and the ends of waits still fire: their work (the
record of the miss, the reassignment, the run moving on) is due however late.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from retainops.core.timer_rows import FireReport, claimable, fire_due_rows, fire_until_none_due
from retainops.messaging.services import queue_from_template
from retainops.playbooks import engine
from retainops.playbooks.choices import EventKind, TaskState, TimerKind
from retainops.playbooks.models import Task, Timer
from retainops.playbooks.owners import owners_of, people_for, user_specs
from retainops.playbooks.subjects import subject_scope
from retainops.playbooks.timeline import record
from retainops.playbooks.variables import task_variables

REMINDER_TEMPLATE = "task-reminder"
ESCALATION_TEMPLATE = "task-escalation"


# What a pass of the timers did (the shared report of timer rows).
TimerReport = FireReport


def due_timers(now: datetime) -> QuerySet[Timer]:
    return claimable(Timer.objects.due(now).order_by("due_at", "id"))


def fire_due(*, now: datetime, limit: int | None = None) -> TimerReport:
    """One pass: fire up to a batch of due timers, all in one transaction."""
    due = Timer.objects.due(now).order_by("due_at", "id")
    return fire_due_rows(
        due.select_related("task__run__version", "task__client"),
        now=now,
        limit=limit,
        fire=lambda timer: _fire_in_scope(timer, now),
    )


def fire_all_due(*, now: datetime) -> TimerReport:
    """Pass after pass until no timer is due at `now` (what `retainops tick` does)."""
    return fire_until_none_due(lambda: fire_due(now=now))


def _fire_in_scope(timer: Timer, now: datetime) -> str:
    # Each timer is one engine operation: its subject is loaded once.
    with subject_scope():
        if too_late_to_remind(timer, now):
            return _miss_reminder(timer, now)
        return fire(timer)


def reminder_grace() -> timedelta:
    return timedelta(hours=settings.REMINDER_GRACE_HOURS)


def too_late_to_remind(timer: Timer, now: datetime) -> bool:
    """A reminder of an open task whose moment passed more than the grace ago."""
    return (
        timer.kind == TimerKind.REMIND
        and timer.task.state == TaskState.OPEN
        and now - timer.due_at > reminder_grace()
    )


def _miss_reminder(timer: Timer, now: datetime) -> str:
    task = timer.task
    late = now - timer.due_at
    hours = int(late.total_seconds() // 3600)
    due = timezone.localtime(timer.due_at).strftime("%Y-%m-%d %H:%M")
    Timer.objects.filter(pk=timer.pk).update(missed_at=now)
    record(
        task.client_id,
        EventKind.REMINDER_MISSED,
        f"Reminder of {task.title} due {due} not sent: the worker reached it {hours} hours "
        f"late (over the {settings.REMINDER_GRACE_HOURS}-hour grace)"[:500],
        run=task.run,
        task=task,
    )
    return f"missed: not sent, {hours} hours after its moment {due}"


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
