"""Firing due timers: reminders, escalations and the ends of waits, each exactly once.

A pass claims, fires and marks a batch as timer rows fired in sets do
(core/timer_rows.py `fire_due_sets`: one transaction, SKIP LOCKED on PostgreSQL, the
batch in one savepoint, one UPDATE marking it, one timer at a time if the set fails);
this module says which timers are due, from the partial index of pending ones, and what
firing one does: queue its message in the outbox, escalate, or end the wait and move
the run on.

Reminders and escalations, most of what is due, are fired in sets: the batch's tasks
come joined to the claim, what their messages need is read for the whole batch, and
their messages, timeline entries and task changes are written with one statement each
(timer_batch.py). A timer that raises drops only its own writes. The end of a wait is
engine work and stays one timer at a time, in its own savepoint: what is pending is
written before it and what was read is read again after it.

A reminder found more than REMINDER_GRACE_HOURS after its moment (the worker was
stopped) is not sent late: it is marked missed (`missed_at`, its outcome) and the
timeline says so. Escalations and the ends of waits still fire: their work (the
record of the miss, the reassignment, the run moving on) is due however late.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from retainops.core.models import User
from retainops.core.timer_rows import (
    FireReport,
    claimable,
    failure,
    fire_due_sets,
    fire_until_none_due,
)
from retainops.playbooks import engine
from retainops.playbooks.choices import EventKind, TaskState, TimerKind
from retainops.playbooks.models import Task, TimelineEvent, Timer
from retainops.playbooks.owners import user_specs
from retainops.playbooks.subjects import subject_scope
from retainops.playbooks.timer_batch import (
    ESCALATION_TEMPLATE,
    REMINDER_TEMPLATE,
    TimerBatch,
    batch_of,
    current_batch,
)
from retainops.playbooks.variables import task_variables

log = logging.getLogger(__name__)


# What a pass of the timers did (the shared report of timer rows).
TimerReport = FireReport


def due_timers(now: datetime) -> QuerySet[Timer]:
    return claimable(Timer.objects.due(now).order_by("due_at", "id"))


# What firing a timer reads of its task, joined to the claim.
JOINS = (
    "task__run__version__playbook",
    "task__client__business_unit",
    "task__assignee",
    "task__queue_team",
)


def fire_due(*, now: datetime, limit: int | None = None) -> TimerReport:
    """One pass: fire up to a batch of due timers, all in one transaction."""
    due = Timer.objects.due(now).order_by("due_at", "id")
    return fire_due_sets(
        due.select_related(*JOINS),
        now=now,
        limit=limit,
        fire_set=lambda batch: _fire_set(batch, now),
        fire=lambda timer: _fire_alone(timer, now),
    )


def fire_all_due(*, now: datetime) -> TimerReport:
    """Pass after pass until no timer is due at `now` (what `retainops tick` does)."""
    return fire_until_none_due(lambda: fire_due(now=now))


def _fire_set(timers: list[Timer], now: datetime) -> list[tuple[str, bool]]:
    results: list[tuple[str, bool]] = []
    with batch_of(timers) as batch:
        for position, timer in enumerate(timers):
            if _is_engine_work(timer, now):
                results.append(_fire_engine_work(batch, timer, now))
                batch.forget(timers[position + 1 :])
            else:
                results.append(_fire_in_set(batch, timer, now))
        batch.flush()
    return [(batch.outcome(outcome), ok) for outcome, ok in results]


def _is_engine_work(timer: Timer, now: datetime) -> bool:
    return (
        timer.kind == TimerKind.WAIT
        and timer.task.state == TaskState.OPEN
        and not too_late_to_remind(timer, now)
    )


def _fire_engine_work(batch: TimerBatch, timer: Timer, now: datetime) -> tuple[str, bool]:
    # The engine reads what the timers before it wrote, and may change what those after
    # it read: write what is pending first, read again after.
    batch.flush()
    try:
        with transaction.atomic():
            outcome = _fire_in_scope(timer, now)
            batch.flush()
            return outcome, True
    except Exception as error:  # one bad timer must not stop the batch
        log.exception("Timer %s failed", timer.pk)
        return failure(error), False


def _fire_in_set(batch: TimerBatch, timer: Timer, now: datetime) -> tuple[str, bool]:
    try:
        with batch.attempt():
            return _fire_in_scope(timer, now), True
    except DatabaseError:
        raise  # the transaction may be unusable: the set fails and each is fired alone
    except Exception as error:  # one bad timer must not stop the batch: only its writes drop
        log.exception("Timer %s failed", timer.pk)
        return failure(error), False


def _fire_alone(timer: Timer, now: datetime) -> str:
    """A timer as a batch of one (the fallback when its batch failed as a whole)."""
    with batch_of([timer]) as batch:
        outcome = _fire_in_scope(timer, now)
        batch.flush()
    return batch.outcome(outcome)


def _fire_in_scope(timer: Timer, now: datetime) -> str:
    # Each timer is one engine operation: its subject is loaded once (for a reminder or
    # an escalation, with the batch's other subjects).
    subject = None
    if timer.kind in (TimerKind.REMIND, TimerKind.ESCALATE) and timer.task.is_open:
        subject = current_batch().subject_of(timer.task.run)
    with subject_scope(timer.task.run.subject_type, subject):
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
    batch = current_batch()
    batch.missed(timer, now)
    _record(
        task,
        EventKind.REMINDER_MISSED,
        f"Reminder of {task.title} due {due} not sent: the worker reached it {hours} hours "
        f"late (over the {settings.REMINDER_GRACE_HOURS}-hour grace)",
    )
    return f"missed: not sent, {hours} hours after its moment {due}"


def _record(task: Task, kind: EventKind, summary: str) -> None:
    """timeline.record, written at the batch's flush."""
    current_batch().record(
        TimelineEvent(
            client_id=task.client_id,
            kind=kind,
            at=timezone.now(),
            summary=summary[:500],
            run=task.run,
            task=task,
        )
    )


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
    _record(
        task,
        EventKind.TASK_MISSED,
        f"{task.title} was not done by its due time ({task.owner_label})",
    )
    return "recorded as missed"


def _notify(task: Task, template: str, people: list[User]) -> str:
    specs = user_specs(people)
    if not specs:
        return "no one to tell: no one with an e-mail address holds the task"
    try:
        token, count = current_batch().queue_from_template(
            template_code=template,
            to=specs,
            people=people,
            client=task.client,
            cause=f"playbook {task.run.version.playbook.key}: {task.step_key}",
            extra=task_variables(task),
            run=task.run,
        )
    except ValidationError as error:
        return "not sent: " + "; ".join(m for ms in error.message_dict.values() for m in ms)
    return f"message {token} queued to {count} recipient(s)"


def _remind(task: Task, timer: Timer) -> str:
    batch = current_batch()
    reminder = batch.step(task).remind[timer.slot]
    people = (
        batch.owners_of(task) if reminder.to == "owner" else batch.people_for(reminder.to, task)
    )
    return _notify(task, REMINDER_TEMPLATE, people)


def _escalate(task: Task, timer: Timer) -> str:
    batch = current_batch()
    escalation = batch.step(task).escalate[timer.slot]
    targets = batch.people_for(escalation.to, task)
    batch.escalated(task, timer.due_at)
    who = ", ".join(str(p) for p in targets) or escalation.to
    _record(
        task,
        EventKind.TASK_MISSED,
        f"{task.title} was not done by its due time; escalated to {who}",
    )
    outcome = _notify(task, ESCALATION_TEMPLATE, targets)
    if escalation.reassign and len(targets) == 1 and targets[0].pk != task.assignee_id:
        batch.reassigned(task, targets[0])
        outcome += f"; reassigned to {targets[0]}"
    return outcome


def _end_wait(task: Task) -> str:
    engine.close(task, "complete", by=None, note="the wait ended")
    engine.advance(task.run, by=None)
    return "wait ended"
