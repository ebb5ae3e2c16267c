"""A meeting step's meeting: booked at the step's due time with its attendees, moved
(an updated invitation) when the due time moves, repeated as a calendar series."""

from datetime import UTC
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from retainops.clients.models import Client
from retainops.core.choices import RoleCode
from retainops.core.models import User
from retainops.messaging import services as messaging
from retainops.messaging.recipients import resolve_recipients
from retainops.playbooks.choices import EventKind, StepKind, TaskState
from retainops.playbooks.definition import Step, parse_duration
from retainops.playbooks.models import Run, Task
from retainops.playbooks.owners import expand_recipients, role_of, unit_stand_in
from retainops.playbooks.schedule import anchor_time, sync_timers
from retainops.playbooks.timeline import record


def _meeting_organizer(task: Task) -> User | None:
    return task.assignee or task.run.requested_by or task.run.started_by


def book_meeting(task: Task, step: Step, by: Any) -> None:
    """Book the step's meeting at its due time, inviting the attendees who can be resolved."""
    organizer = _meeting_organizer(task)
    if task.due_at is None or organizer is None or task.meeting_id:
        return
    attendees, missing = _attendees(step, task)
    if missing:
        _note_missing(task, step, missing, by)
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


def _attendees(step: Step, task: Task) -> tuple[list[str], list[str]]:
    """The step's attendees who can be invited, a role the client's team lacks standing in
    for by the unit's holder of it; and the roles nobody holds, on the team or in the unit."""
    invited: list[str] = []
    missing: list[str] = []
    for spec in expand_recipients(step.attendees, task):
        if _resolves(spec, task.client):
            invited.append(spec)
        elif (stand_in := unit_stand_in(spec, task.client)) and _resolves(stand_in, task.client):
            invited.append(stand_in)
        elif role_of(spec):
            missing.append(role_of(spec))
    return list(dict.fromkeys(invited)), missing


def _note_missing(task: Task, step: Step, roles: list[str], by: Any) -> None:
    """Say on the timeline who the meeting goes without, so that someone is added."""
    names = ", ".join(label_of(role) for role in roles)
    record(
        task.client_id,
        EventKind.MEETING_SCHEDULED,
        f"{step.title}: no {names} on {task.client.name}'s team nor in "
        f"{task.client.business_unit}; add one to the team and invite them",
        actor=by,
        run=task.run,
        task=task,
    )


def label_of(role: str) -> str:
    return str(dict(RoleCode.choices).get(role, role)).lower()


def _resolves(spec: str, client: Client) -> bool:
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
