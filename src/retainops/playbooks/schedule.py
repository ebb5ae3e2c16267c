"""When a step is due, and the timer rows that follow its due time: reminders before,
escalations after, the end of a wait, the record of a miss."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from retainops.playbooks.choices import CLOSED_TASK_STATES, StepKind, TimerKind
from retainops.playbooks.definition import STARTED, Step, parse_duration
from retainops.playbooks.models import Run, Task, Timer


def anchor_time(run: Run, name: str) -> datetime | None:
    if name == STARTED:
        return run.started_at
    text = run.anchors.get(name)
    return parse_datetime(text) if text else None


def due_time(run: Run, step: Step, tasks_by_key: dict[str, Task]) -> datetime | None:
    """When a step is due: its anchor (or the step it follows) plus the offset; None if unknown."""
    rule = step.due_rule
    if rule is None:
        return None
    if rule.ref in run.definition.anchor_names:
        base = anchor_time(run, rule.ref)
    else:
        before = tasks_by_key.get(rule.ref)
        base = (
            before.closed_at if before is not None and before.state in CLOSED_TASK_STATES else None
        )
    return base + rule.offset if base is not None else None


def _desired_timers(task: Task, step: Step) -> list[tuple[str, int, timedelta]]:
    if task.due_at is None:
        return []
    desired: list[tuple[str, int, timedelta]] = [
        (TimerKind.REMIND, i, -parse_duration(r.before)) for i, r in enumerate(step.remind)
    ]
    desired += [
        (TimerKind.ESCALATE, i, parse_duration(e.after)) for i, e in enumerate(step.escalate)
    ]
    if step.kind == StepKind.WAIT:
        desired.append((TimerKind.WAIT, 0, timedelta(0)))
    elif step.kind in (StepKind.TASK, StepKind.APPROVAL) and not step.escalate:
        # An escalation records the miss itself; without one, the timeline still must.
        desired.append((TimerKind.MISSED, 0, timedelta(0)))
    return desired


def sync_timers(task: Task, step: Step) -> None:
    """Make the task's pending timers match its due time.

    A pending timer moves with the due time. A slot with no pending timer
    gets a new one unless a timer of that slot was already due at or after
    the new moment (it fired for this date), or unless it is a reminder whose
    moment has passed (a late reminder says nothing useful).
    """
    now = timezone.now()
    desired = _desired_timers(task, step)
    timers = list(task.timers.all())
    pending = {(t.kind, t.slot): t for t in timers if t.fired_at is None and t.dropped_at is None}
    wanted, armed = set(), []
    for kind, slot, offset in desired:
        wanted.add((kind, slot))
        assert task.due_at is not None
        at = task.due_at + offset
        if (kind, slot) in pending:
            Timer.objects.filter(pk=pending[(kind, slot)].pk).update(due_at=at, offset=offset)
            continue
        already = any(t.kind == kind and t.slot == slot and t.due_at >= at for t in timers)
        if already or (kind == TimerKind.REMIND and at <= now):
            continue
        armed.append(Timer(task=task, kind=kind, slot=slot, offset=offset, due_at=at))
    # One INSERT for the new timers: a step that opens arms several (reminders, escalations).
    Timer.objects.bulk_create(armed)
    stale = [t.pk for key, t in pending.items() if key not in wanted]
    Timer.objects.filter(pk__in=stale).update(dropped_at=now, outcome="no longer due")


def drop_timers(task: Task) -> None:
    Timer.objects.pending().filter(task=task).update(
        dropped_at=timezone.now(), outcome=f"task {task.get_state_display().lower()}"
    )
