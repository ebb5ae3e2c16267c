"""How a run moves: opening steps, owners, due times, timers, engine steps, ending.

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
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from retainops.clients.models import Client, ClientTeamMember
from retainops.core.events import emit
from retainops.core.models import Team, User
from retainops.core.transitions import move
from retainops.messaging import services as messaging
from retainops.playbooks import events
from retainops.playbooks.choices import (
    CLOSED_TASK_STATES,
    Decision,
    EventKind,
    RunState,
    StepKind,
    TaskState,
    TimerKind,
)
from retainops.playbooks.definition import (
    STARTED,
    ConditionError,
    Step,
    condition_holds,
    parse_duration,
)
from retainops.playbooks.models import Run, Task, TimelineEvent, Timer
from retainops.playbooks.subjects import load_subject, subject_type

log = logging.getLogger(__name__)
# The steps that are someone's to do (the others the engine does by itself).
PEOPLES_STEPS = (StepKind.TASK, StepKind.APPROVAL, StepKind.MEETING)


def record(
    client: Client | int,
    kind: EventKind,
    summary: str,
    *,
    actor: Any = None,
    run: Run | None = None,
    task: Task | None = None,
) -> TimelineEvent:
    client_id = client if isinstance(client, int) else client.pk
    return TimelineEvent.objects.create(
        client_id=client_id,
        kind=kind,
        summary=summary[:500],
        actor=actor if getattr(actor, "pk", None) else None,
        run=run,
        task=task,
    )


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
    how = "by hand" if trigger == "manual" else f"on {trigger}"
    record(client, EventKind.RUN_STARTED, f"{definition.name} started {how}", actor=by, run=run)
    emit(events.RunStarted(run=run, by=by))
    advance(run, by=by)
    return run


# Dates ----------------------------------------------------------------------------------


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
    record(run.client_id, EventKind.ANCHOR_MOVED, f"{name}: {was} -> {now_at}", actor=by, run=run)
    emit(events.AnchorMoved(run=run, anchor=name, by=by))


def _hangs_on(step: Step, anchor: str) -> bool:
    """The step's due time, or the end of its meeting series, is reckoned from the anchor."""
    rule = step.due_rule
    ends_on_it = step.repeat is not None and step.repeat.until == anchor
    return (rule is not None and rule.ref == anchor) or ends_on_it


# Owners ---------------------------------------------------------------------------------


def resolve_owner(spec: str | None, client: Client) -> dict[str, Any]:
    """Assignee or queue fields for an owner spec, resolved against the client's team now."""
    fields: dict[str, Any] = {"assignee": None, "queue_team": None, "queue_role": ""}
    if not spec:
        return fields
    kind, _, value = spec.partition(":")
    if kind == "role":
        member = ClientTeamMember.objects.filter(client=client, role__code=value).first()
        if member is not None and member.user.is_active:
            fields["assignee"] = member.user
        else:
            fields["queue_role"] = value
    elif kind == "team":
        fields["queue_team"] = Team.objects.filter(name=value).first()
    elif kind == "user":
        fields["assignee"] = User.objects.filter(username=value, is_active=True).first()
    return fields


def _role_of(spec: str | None) -> str:
    kind, _, value = (spec or "").partition(":")
    return value if kind == "role" else ""


def queue_members(task: Task) -> list[User]:
    """The people who may take an unassigned task: its team, or its role in its unit."""
    if task.queue_team_id:
        return list(User.objects.filter(teams=task.queue_team_id, is_active=True))
    if task.queue_role:
        return list(
            User.objects.filter(
                is_active=True, roles__code=task.queue_role, business_units=task.business_unit_id
            ).distinct()
        )
    return []


def owners_of(task: Task) -> list[User]:
    return [task.assignee] if task.assignee_id and task.assignee else queue_members(task)


def people_for(spec: str, task: Task) -> list[User]:
    """The people an escalation or reminder target names, for this task's client."""
    fields = resolve_owner(spec, task.client)
    if fields["assignee"] is not None:
        return [fields["assignee"]]
    probe = Task(
        queue_team=fields["queue_team"],
        queue_role=fields["queue_role"],
        business_unit_id=task.business_unit_id,
    )
    return queue_members(probe)


def user_specs(people: list[User]) -> list[str]:
    return [f"user:{p.username}" for p in people if p.email]


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
    while True:
        tasks = {t.step_key: t for t in run.tasks.select_related("client")}
        progressed = False
        for task in tasks.values():
            if task.state != TaskState.WAITING:
                continue
            step = run.definition.step(task.step_key)
            needs = [tasks[key] for key in step.needs]
            if any(need.state not in CLOSED_TASK_STATES for need in needs):
                continue
            if step.when and values is None:
                values = subject_values(run)
            rejected = next((t for t in tasks.values() if t.decision == Decision.REJECTED), None)
            _open_or_skip(run, task, step, needs, values or {}, by, rejected)
            progressed = True
        if not progressed:
            break
    _end_if_settled(run, by)


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
            open_task(run, task, step, by)
        else:
            skip(task, reason=f"its condition ({step.when}) does not hold", by=None)
    else:
        open_task(run, task, step, by)


def askers(run: Run) -> set[int]:
    """Who asked for what the run decides: its requester and the subject's co-askers.
    None of them approves it."""
    asked = {run.requested_by_id} if run.requested_by_id else set()
    kind = subject_type(run.subject_type)
    subject = load_subject(run.subject_type, run.subject_id)
    asked.update(person.pk for person in kind.co_askers(subject) if person)
    return asked


def open_task(run: Run, task: Task, step: Step, by: Any) -> None:
    now = timezone.now()
    tasks = {t.step_key: t for t in run.tasks.all()}
    owner = resolve_owner(step.owner, run.client)
    assignee = owner["assignee"]
    if step.kind == StepKind.APPROVAL and assignee is not None and assignee.pk in askers(run):
        # Whoever asked never approves: the decision goes to the others in the role.
        owner = {**owner, "assignee": None, "queue_role": _role_of(step.owner)}
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


def expand_recipients(specs: list[str], task: Task) -> list[str]:
    """Recipient specs with the step-only names replaced: `owner` and `requester`."""
    expanded: list[str] = []
    for spec in specs:
        if spec == "owner":
            expanded.extend(user_specs(owners_of(task)))
        elif spec == "requester":
            requester = task.run.requested_by
            expanded.extend(user_specs([requester] if requester else []))
        else:
            expanded.append(spec)
    return expanded


def task_url(task: Task) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("playbooks:task", args=[task.pk])


def task_variables(task: Task) -> dict[str, Any]:
    run = task.run
    due = timezone.localtime(task.due_at).strftime("%A %d %B %Y, %H:%M") if task.due_at else ""
    run_url = settings.SITE_URL.rstrip("/") + reverse("playbooks:run", args=[run.pk])
    return {
        "task": {
            "title": task.title,
            "due_at": due,
            "url": task_url(task),
            "owner": task.owner_label,
            "step": task.step_key,
        },
        "run": {"playbook": run.version.playbook.name, "url": run_url},
        "link": task_url(task),
        **subject_variables(run),
    }


def subject_variables(run: Run) -> dict[str, Any]:
    kind = subject_type(run.subject_type)
    return kind.variables(load_subject(run.subject_type, run.subject_id))


def close(
    task: Task, transition: str, *, by: Any, note: str = "", cause: Any = None, **fields: Any
) -> bool:
    """Close a task (complete, skip or cancel), drop its timers, and say so on the timeline.

    `cause` is the person whose action closed an engine step (the approver whose
    decision ended a wait): the step's action is recorded as theirs.
    """
    now = timezone.now()
    closed = apply_task_transition(
        task, transition, closed_at=now, closed_by=by if getattr(by, "pk", None) else None, **fields
    )
    if not closed:
        return False
    if note:
        Task.objects.filter(pk=task.pk).update(note=note)
        task.note = note
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


def _end_if_settled(run: Run, by: Any) -> None:
    tasks = list(run.tasks.values_list("state", "decision"))
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


# Timers ---------------------------------------------------------------------------------


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
    wanted = set()
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
        Timer.objects.create(task=task, kind=kind, slot=slot, offset=offset, due_at=at)
    stale = [t.pk for key, t in pending.items() if key not in wanted]
    Timer.objects.filter(pk__in=stale).update(dropped_at=now, outcome="no longer due")


def drop_timers(task: Task) -> None:
    Timer.objects.pending().filter(task=task).update(
        dropped_at=timezone.now(), outcome=f"task {task.get_state_display().lower()}"
    )


# Meetings -------------------------------------------------------------------------------


def _meeting_organizer(task: Task) -> User | None:
    return task.assignee or task.run.requested_by or task.run.started_by


def book_meeting(task: Task, step: Step, by: Any) -> None:
    """Book the step's meeting at its due time, inviting the attendees who can be resolved."""
    organizer = _meeting_organizer(task)
    if task.due_at is None or organizer is None or task.meeting_id:
        return
    attendees = [
        spec for spec in expand_recipients(step.attendees, task) if _resolves(spec, task.client)
    ]
    if not attendees:
        return
    meeting = messaging.book_meeting(
        organizer=organizer,
        client=task.client,
        title=f"{step.title}: {task.client.name}",
        starts_at=task.due_at,
        ends_at=task.due_at + parse_duration(step.duration),
        attendees=attendees,
        location=step.location,
        description=step.description,
        recurrence=recurrence(task.run, step),
    )
    Task.objects.filter(pk=task.pk).update(meeting=meeting)
    task.meeting = meeting
    when = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
    record(
        task.client_id,
        EventKind.MEETING_SCHEDULED,
        f"{step.title} booked for {when}",
        actor=by,
        run=task.run,
        task=task,
    )


def _resolves(spec: str, client: Client) -> bool:
    from retainops.messaging.recipients import resolve_recipients

    try:
        resolve_recipients([spec], client)
    except ValidationError:
        return False
    return True


def follow_due_time(task: Task, step: Step, by: Any) -> None:
    """After a task's due time changed: move its timers, and its meeting (an updated invitation)."""
    sync_timers(task, step)
    if step.kind != StepKind.MEETING or task.state != TaskState.OPEN or task.due_at is None:
        return
    rule = recurrence(task.run, step)
    if task.meeting is None:
        book_meeting(task, step, by)
    elif (task.meeting.starts_at, task.meeting.recurrence) != (task.due_at, rule):
        messaging.reschedule_meeting(
            meeting=task.meeting,
            starts_at=task.due_at,
            ends_at=task.due_at + parse_duration(step.duration),
            recurrence=rule,
            by=by,
        )


def recurrence(run: Run, step: Step) -> str:
    """The RRULE of a repeating meeting step: every N days until its anchor ('' if none)."""
    if step.repeat is None:
        return ""
    until = anchor_time(run, step.repeat.until)
    if until is None:
        return ""
    days = parse_duration(step.repeat.every).days
    stamp = until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"FREQ=DAILY;INTERVAL={days};UNTIL={stamp}"
