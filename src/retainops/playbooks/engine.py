"""How a run moves: starting, opening steps, engine steps, closing, ending.

Who a step is for is owners.py, when it is due and its timers schedule.py, its meeting
meetings.py, what its messages may say variables.py, the timeline timeline.py.

These functions assume the caller has checked who is acting and holds a
transaction (services.py and timers.py do). Moving a run forward:
  1. A step opens when every step it needs is done or skipped; a step that
     needs a rejected approval is skipped, as is one whose condition is false
     or cannot be evaluated for the subject's values (the reason is recorded).
  2. Opening resolves the owner (the role's holder on the client's team, a
     named person, or a queue), computes the due time (anchor + offset, or
     another step's completion + offset) and arms the step's timers.
  3. Engine steps act at once: a message step queues its message and is
     done; a meeting step books the meeting at its due time; a wait step
     ends when its timer fires.
  4. When every step is settled the run ends: completed, or rejected if an
     approval was refused.
"""

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retainops.core.events import emit
from retainops.core.transitions import move
from retainops.messaging import services as messaging
from retainops.playbooks import events, words
from retainops.playbooks.choices import (
    CLOSED_TASK_STATES,
    Decision,
    EventKind,
    RunState,
    StepKind,
    TaskState,
)
from retainops.playbooks.definition import (
    ConditionError,
    Step,
    condition_holds,
)
from retainops.playbooks.meetings import book_meeting, follow_due_time
from retainops.playbooks.models import Run, Task
from retainops.playbooks.owners import expand_recipients, resolve_owner, role_of
from retainops.playbooks.schedule import anchor_time, drop_timers, due_time, sync_timers
from retainops.playbooks.subjects import load_subject, subject_type
from retainops.playbooks.timeline import record
from retainops.playbooks.variables import task_variables

log = logging.getLogger(__name__)
# The steps that are someone's to do (the others the engine does by itself).
PEOPLES_STEPS = (StepKind.TASK, StepKind.APPROVAL, StepKind.MEETING)


def apply_task_transition(task: Task, name: str, **fields: Any) -> bool:
    """Compare-and-set: move the task along its declared transition `name` only if it is
    still in a source state. The person who closes it (`closed_by`) is the one whose
    permission the transition checks; the engine closing its own steps names no one."""
    return move(task, name, by=fields.get("closed_by"), **fields)


def apply_run_transition(run: Run, name: str, *, by: Any = None, **fields: Any) -> bool:
    """Compare-and-set along the run's declared transition `name` (`by`: who acts, if a person)."""
    return move(run, name, by=by, **fields)


# Starting -------------------------------------------------------------------------------


def create_run(
    *,
    version: Any,
    subject_code: str,
    subject: Any,
    anchors: dict[str, datetime],
    by: Any,
    trigger: str,
) -> Run:
    kind = subject_type(subject_code)
    client = kind.client_of(subject)
    requester = kind.requester(subject) or (by if getattr(by, "pk", None) else None)
    run = Run.objects.create(
        version=version,
        subject_type=subject_code,
        subject_id=subject.pk,
        client=client,
        business_unit_id=client.business_unit_id,
        anchors={name: at.isoformat() for name, at in anchors.items()},
        started_by=by if getattr(by, "pk", None) else None,
        requested_by=requester,
        trigger=trigger,
    )
    definition = version.definition
    Task.objects.bulk_create(
        Task(
            run=run,
            step_key=step.key,
            title=step.title,
            kind=step.kind,
            client=client,
            business_unit_id=client.business_unit_id,
        )
        for step in definition.steps
    )
    for task in run.tasks.all():
        due = due_time(run, task.step, {})
        if due is not None:
            Task.objects.filter(pk=task.pk).update(due_at=due)
    record(client, EventKind.RUN_STARTED, words.run_started_summary(run), actor=by, run=run)
    emit(events.RunStarted(run=run, by=by))
    advance(run, by=by)
    return run


def set_anchor(run: Run, name: str, at: datetime, *, by: Any) -> None:
    """Set or move an anchor of a running run (locked by the caller): the open steps whose
    due time (or meeting series) hangs on it move, with their timers and invitations."""
    before = anchor_time(run, name)
    if before == at:
        return
    run.anchors = {**run.anchors, name: at.isoformat()}
    Run.objects.filter(pk=run.pk).update(anchors=run.anchors)
    tasks = {t.step_key: t for t in run.tasks.select_related("meeting", "client", "run")}
    for task in tasks.values():
        step = run.definition.step(task.step_key)
        if task.state in CLOSED_TASK_STATES or not _hangs_on(step, name):
            continue
        task.due_at = due_time(run, step, tasks)
        Task.objects.filter(pk=task.pk).update(due_at=task.due_at)
        if task.state == TaskState.OPEN:
            follow_due_time(task, step, by)
    was = timezone.localtime(before).strftime("%Y-%m-%d %H:%M") if before else "not set"
    now_at = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    moved = f"{words.anchor_words(name)}: {was} -> {now_at}"
    record(run.client_id, EventKind.ANCHOR_MOVED, moved, actor=by, run=run)
    emit(events.AnchorMoved(run=run, anchor=name, by=by))


def _hangs_on(step: Step, anchor: str) -> bool:
    """The step's due time, or the end of its meeting series, is reckoned from the anchor."""
    rule = step.due_rule
    ends_on_it = step.repeat is not None and step.repeat.until == anchor
    return (rule is not None and rule.ref == anchor) or ends_on_it


# Moving forward -------------------------------------------------------------------------


def advance(run: Run, *, by: Any) -> None:
    """Open what can open, settle engine steps, end the run when all is settled."""
    run = (
        Run.objects.select_for_update(of=("self",))
        .select_related("version", "client")
        .get(pk=run.pk)
    )
    if run.state != RunState.RUNNING:
        return
    values: dict[str, Any] | None = None
    definition = run.definition
    while True:
        tasks = _tasks_of(run)
        moved: list[Task] = []
        for task in tasks.values():
            if task.state != TaskState.WAITING:
                continue
            step = definition.step(task.step_key)
            needs = [tasks[key] for key in step.needs]
            if any(need.state not in CLOSED_TASK_STATES for need in needs):
                continue
            if step.when and values is None:
                values = subject_values(run)
            rejected = next((t for t in tasks.values() if t.decision == Decision.REJECTED), None)
            _open_or_skip(run, task, step, needs, values or {}, by, rejected, tasks)
            moved.append(task)
        if not moved:
            break
        if all(task.state == TaskState.OPEN for task in moved):
            # Every step this pass opened is still open (someone's to do, or a wait):
            # none closed, so no other step can open yet, and the run is not settled.
            return
    # The last pass read the tasks and changed nothing: they are as the database has them.
    _end_if_settled(run, by, list(tasks.values()))


def _tasks_of(run: Run) -> dict[str, Task]:
    """The run's tasks by step key, each with its client: the run's, read with the run
    (a task is on its run's client), rather than joined again for every task."""
    tasks = {t.step_key: t for t in run.tasks.all()}
    for task in tasks.values():
        if task.client_id == run.client_id:
            task.client = run.client
    return tasks


def subject_values(run: Run) -> dict[str, Any]:
    kind = subject_type(run.subject_type)
    return kind.values(load_subject(run.subject_type, run.subject_id))


def _open_or_skip(
    run: Run,
    task: Task,
    step: Step,
    needs: list[Task],
    values: dict[str, Any],
    by: Any,
    rejected: Task | None = None,
    tasks: dict[str, Task] | None = None,
) -> None:
    if rejected is not None:
        # A refusal ends the process: nothing after it opens, however it is connected.
        skip(task, reason=f"{rejected.title!r} was rejected", by=None)
    elif step.when:
        try:
            holds = condition_holds(step.when, values)
        except ConditionError as error:
            # A broken condition must not stop the run: the step is skipped, and the
            # reason (on the task and the timeline) tells the playbook's author what to fix.
            log.warning(
                "run %s, step %s: condition %r failed: %s", run.pk, step.key, step.when, error
            )
            skip(
                task, reason=f"its condition ({step.when}) could not be evaluated: {error}", by=None
            )
            return
        if holds:
            open_task(run, task, step, by, tasks)
        else:
            skip(task, reason=condition_skip_reason(step), by=None)
    else:
        open_task(run, task, step, by, tasks)


def condition_skip_reason(step: Step) -> str:
    return step.when_not or f"its condition ({step.when}) does not hold"


def foreseen_skips(run: Run, tasks: list[Task]) -> dict[int, str]:
    """The waiting steps of a running run that its subject, as it stands, would have
    skipped when their turn comes (a condition that does not hold), each with the reason:
    so a preview of the chain says "skipped" rather than "waiting for earlier steps".
    The subject may still change before then (a credit added to a returned request)."""
    if run.state != RunState.RUNNING:
        return {}
    conditional = [
        (task, run.definition.step(task.step_key))
        for task in tasks
        if task.state == TaskState.WAITING and run.definition.step(task.step_key).when
    ]
    if not conditional:
        return {}
    values = subject_values(run)
    foreseen = {}
    for task, step in conditional:
        try:
            holds = condition_holds(step.when or "", values)
        except ConditionError as error:
            foreseen[task.pk] = f"its condition ({step.when}) could not be evaluated: {error}"
            continue
        if not holds:
            foreseen[task.pk] = condition_skip_reason(step)
    return foreseen


def askers(run: Run) -> set[int]:
    """Who asked for what the run decides: its requester and the subject's co-askers.
    None of them approves it."""
    asked = {run.requested_by_id} if run.requested_by_id else set()
    kind = subject_type(run.subject_type)
    subject = load_subject(run.subject_type, run.subject_id)
    asked.update(person.pk for person in kind.co_askers(subject) if person)
    return asked


def open_task(
    run: Run, task: Task, step: Step, by: Any, tasks: dict[str, Task] | None = None
) -> None:
    """Open a waiting task: its owner, due time, timers, and what an engine step does.
    `tasks`: the run's tasks by step key as the caller holds them (advance keeps the
    ones it moves up to date), read here when not given."""
    now = timezone.now()
    if tasks is None:
        tasks = {t.step_key: t for t in run.tasks.all()}
    owner = resolve_owner(step.owner, run.client)
    assignee = owner["assignee"]
    if step.kind == StepKind.APPROVAL and assignee is not None and assignee.pk in askers(run):
        # Whoever asked never approves: the decision goes to the others in the role.
        owner = {**owner, "assignee": None, "queue_role": role_of(step.owner)}
    due = due_time(run, step, tasks)
    if not apply_task_transition(task, "open", opened_at=now, due_at=due, **owner):
        return
    if step.kind in PEOPLES_STEPS:
        emit(events.TaskOpened(task=task, by=by))
    if step.kind == StepKind.MESSAGE:
        _send_message_step(run, task, step, by)
        return
    if step.kind == StepKind.JOIN:
        # It opened because every step it joins is closed: that is all it waits for.
        close(task, "complete", by=None, note="every step it joins is done", cause=by)
        return
    if step.kind == StepKind.MEETING:
        book_meeting(task, step, by)
    if step.auto_complete and not unmet_requirements(task):
        _complete_met(task, by)
        return
    if step.kind == StepKind.WAIT and due is not None and due <= now:
        close(task, "complete", by=None, note="its moment had already come", cause=by)
        return
    sync_timers(task, step)


def _complete_met(task: Task, by: Any) -> bool:
    return close(task, "complete", by=None, note="everything it waited for is in", cause=by)


def complete_met_steps(subject_code: str, subject_id: int, *, by: Any) -> int:
    """Complete the open `auto_complete` steps of a subject's runs whose checks all pass now
    (called when the subject changes, e.g. the client supplies the last missing detail)."""
    completed = 0
    open_tasks = Task.objects.filter(
        run__subject_type=subject_code,
        run__subject_id=subject_id,
        run__state=RunState.RUNNING,
        state=TaskState.OPEN,
    ).select_related("run__version", "client")
    for task in open_tasks:
        step = task.step
        if step.auto_complete and not unmet_requirements(task) and _complete_met(task, by):
            advance(task.run, by=by)
            completed += 1
    return completed


def _send_message_step(run: Run, task: Task, step: Step, by: Any) -> None:
    try:
        with transaction.atomic():
            messaging.queue_from_template(
                template_code=step.template or "",
                to=expand_recipients(step.to, task),
                client=run.client,
                cause=f"playbook {run.version.playbook.key}: {step.key}",
                by=by,
                extra=task_variables(task),
                run=run,
            )
    except ValidationError as error:
        problems = "; ".join(m for ms in error.message_dict.values() for m in ms)
        skip(task, reason=f"the message could not be sent: {problems}", by=None)
        return
    close(task, "complete", by=None, note="message queued")


def close(
    task: Task, transition: str, *, by: Any, note: str = "", cause: Any = None, **fields: Any
) -> bool:
    """Close a task (complete, skip or cancel), drop its timers, and say so on the timeline.

    `cause` is the person whose action closed an engine step (the approver whose
    decision ended a wait): the step's action is recorded as theirs.
    """
    now = timezone.now()
    if note:
        fields["note"] = note  # written with the move: only a task that closes takes it
    closed = apply_task_transition(
        task, transition, closed_at=now, closed_by=by if getattr(by, "pk", None) else None, **fields
    )
    if not closed:
        return False
    drop_timers(task)
    _record_closing(task, transition, by)
    emit(events.TaskClosed(task=task, transition=transition, by=by if by is not None else cause))
    if transition == "complete" and task.decision != Decision.REJECTED:
        act_on_done(task, by=by if by is not None else cause)
    return True


def _record_closing(task: Task, transition: str, by: Any) -> None:
    if transition == "cancel":
        return  # the run's cancellation is the event
    if task.decision:
        kind = EventKind.APPROVED if task.decision == Decision.APPROVED else EventKind.REJECTED
        summary = f"{task.title}: {task.get_decision_display().lower()}"
    elif transition == "skip":
        kind, summary = EventKind.TASK_SKIPPED, f"{task.title} skipped: {task.skip_reason}"
    else:
        kind, summary = EventKind.TASK_DONE, f"{task.title} done"
    if task.due_at and task.closed_at and task.closed_at > task.due_at and transition != "skip":
        summary += " (after its due time)"
    record(task.client_id, kind, summary, actor=by, run=task.run, task=task)


def unmet_requirements(task: Task) -> list[str]:
    """What the subject still lacks for the step's `requires` checks ('' when all are met)."""
    step = task.step
    if not step.requires:
        return []
    run = task.run
    kind = subject_type(run.subject_type)
    subject = load_subject(run.subject_type, run.subject_id)
    missing: list[str] = []
    for name in step.requires:
        check = kind.checks[name]
        missing.extend(f"{check.label}: {item}" for item in check.missing(subject))
    return missing


def act_on_done(task: Task, *, by: Any) -> None:
    """Run the step's `on_done` action on its subject (e.g. mark a program live)."""
    action_name = task.step.on_done
    if action_name is None:
        return
    run = task.run
    kind = subject_type(run.subject_type)
    kind.actions[action_name](load_subject(run.subject_type, run.subject_id), run=run, by=by)


def skip(task: Task, *, reason: str, by: Any) -> bool:
    return close(task, "skip", by=by, skip_reason=reason)


def _end_if_settled(run: Run, by: Any, read: list[Task]) -> None:
    tasks = [(task.state, task.decision) for task in read]
    if any(state not in CLOSED_TASK_STATES for state, _ in tasks):
        return
    name = run.definition.name
    if any(decision == Decision.REJECTED for _, decision in tasks):
        if apply_run_transition(run, "end_rejected", ended_at=timezone.now()):
            record(run.client_id, EventKind.RUN_REJECTED, f"{name} ended: rejected", run=run)
            tell_subject_run_ended(run, by=by)
            emit(events.RunEnded(run=run, by=by))
    elif apply_run_transition(run, "complete", ended_at=timezone.now()):
        record(run.client_id, EventKind.RUN_COMPLETED, f"{name} completed", actor=by, run=run)
        tell_subject_run_ended(run, by=by)
        emit(events.RunEnded(run=run, by=by))


def tell_subject_run_ended(run: Run, *, by: Any) -> None:
    """Let the subject react to how its run ended (a rejected request goes back to its author)."""
    kind = subject_type(run.subject_type)
    if kind.on_run_end is not None:
        kind.on_run_end(load_subject(run.subject_type, run.subject_id), run=run, by=by)
