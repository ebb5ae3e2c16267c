"""Operations on playbooks, runs and tasks: one transaction each, permission checked inside.

This is the engine's one door: pages, the API and the other apps call these and
nothing else (`engine` is the app's own). Each operation loads a run's subject once
(`with_subject_scope`). A refused call raises
PermissionDenied, a bad one ValidationError (or DefinitionInvalid for a
playbook's text), and in both cases nothing is written.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from retainops.core.access import require_capability, require_unit_access, sees_all_units
from retainops.core.capabilities import Capability
from retainops.core.errors import errors_by_field, invalid
from retainops.core.events import ConfigurationChanged, ProcessTrigger, emit
from retainops.core.models import User
from retainops.messaging import services as messaging
from retainops.messaging.choices import MeetingState
from retainops.playbooks import engine, events
from retainops.playbooks.choices import (
    Decision,
    EventKind,
    RunState,
    StepKind,
    TaskState,
)
from retainops.playbooks.definition import (
    Definition,
    DefinitionInvalid,
    Problem,
    parse_definition,
)
from retainops.playbooks.models import (
    Playbook,
    PlaybookVersion,
    Run,
    Task,
    TaskAttachment,
    TaskComment,
)

# Who may act on a task is declared with its transitions; the names stay importable here.
from retainops.playbooks.permissions import in_queue as in_queue
from retainops.playbooks.permissions import is_owner, may_override, may_skip
from retainops.playbooks.subjects import SUBJECT_TYPES, remember_subject, with_subject_scope
from retainops.playbooks.timeline import record

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@dataclass
class Upload:
    filename: str
    content_type: str
    content: bytes


# Playbooks ------------------------------------------------------------------------------


def validate_playbook(*, source: str) -> Definition:
    """The checked definition of a YAML text (DefinitionInvalid names every problem)."""
    return parse_definition(source)


@transaction.atomic
def publish_playbook(*, by: Any, source: str) -> PlaybookVersion:
    """Check a definition and store it as the playbook's next version, now the current one.

    Runs already under way keep the version they started with.
    """
    require_capability(by, Capability.MANAGE_PLAYBOOKS)
    definition = parse_definition(source)
    playbook, _created = Playbook.objects.select_for_update().get_or_create(
        key=definition.key, defaults={"name": definition.name}
    )
    if playbook.subject != definition.subject and playbook.versions.exists():
        raise DefinitionInvalid(
            [
                _problem(
                    f"this playbook runs on {playbook.subject}; a new version cannot "
                    f"change its subject to {definition.subject}"
                )
            ]
        )
    number = (playbook.versions.order_by("-number").values_list("number", flat=True).first()) or 0
    version = PlaybookVersion.objects.create(
        playbook=playbook,
        number=number + 1,
        source=source,
        definition_json=definition.model_dump_json(),
        published_by=by,
    )
    playbook.name = definition.name
    playbook.subject = definition.subject
    playbook.trigger = definition.trigger
    playbook.current = version
    playbook._history_user = by  # type: ignore[attr-defined]
    playbook._change_reason = f"published version {version.number}"  # type: ignore[attr-defined]
    playbook.save()
    emit(events.PlaybookPublished(version=version, by=by))
    return version


def _problem(message: str) -> Problem:
    return Problem(None, message)


@transaction.atomic
def set_playbook_active(*, by: Any, playbook: Playbook, active: bool) -> Playbook:
    """Retire a playbook (no new runs; runs under way go on) or bring it back."""
    require_capability(by, Capability.MANAGE_PLAYBOOKS)
    playbook.is_active = active
    playbook._history_user = by  # type: ignore[attr-defined]
    playbook.save(update_fields=["is_active"])
    emit(ConfigurationChanged(entry=playbook, change="activated" if active else "retired", by=by))
    return playbook


# Runs -----------------------------------------------------------------------------------


def _startable(playbook: Playbook) -> PlaybookVersion:
    if not playbook.is_active:
        raise invalid("playbook", f"{playbook.name} is retired; it starts no new runs.")
    if playbook.current is None:
        raise invalid("playbook", f"{playbook.name} has no published version.")
    return playbook.current


def _check_anchors(definition: Definition, anchors: dict[str, datetime]) -> None:
    problems = []
    for name, at in anchors.items():
        if name not in definition.anchors:
            declared = ", ".join(definition.anchors) or "none"
            problems.append(f"{name!r} is not an anchor of this playbook (declared: {declared})")
        elif timezone.is_naive(at):
            problems.append(f"{name!r} needs a time zone")
    if problems:
        raise ValidationError({"anchors": problems})


@transaction.atomic
@with_subject_scope
def start_run(
    *,
    by: Any,
    playbook: Playbook,
    subject_id: int,
    anchors: dict[str, datetime] | None = None,
) -> Run:
    """Start a playbook by hand on a subject the person can see, pinned to its current version."""
    require_capability(by, Capability.RUN_PLAYBOOKS)
    # Read afresh: the caller's copy may predate a newer published version.
    playbook = Playbook.objects.select_related("current").get(pk=playbook.pk)
    version = _startable(playbook)
    kind = SUBJECT_TYPES[playbook.subject]
    subject = kind.load(subject_id)  # a missing subject raises DoesNotExist (404)
    require_unit_access(by, kind.client_of(subject).business_unit_id)
    given = dict(anchors or {})
    _check_anchors(version.definition, given)
    declared = set(version.definition.anchors)
    merged = {k: v for k, v in {**kind.anchor_values(subject), **given}.items() if k in declared}
    return engine.create_run(
        version=version,
        subject_code=playbook.subject,
        subject=subject,
        anchors=merged,
        by=by,
        trigger="manual",
    )


def _triggered_playbooks(event: ProcessTrigger) -> list[Playbook]:
    """The playbook the emitter chose (an approval route's), or every active one whose
    trigger is the event."""
    found = Playbook.objects.filter(
        subject=event.subject_type, is_active=True, current__isnull=False
    ).select_related("current")
    if event.playbook is not None:
        return list(found.filter(key=event.playbook))
    return list(found.filter(trigger=event.name))


@with_subject_scope
def start_runs_for_event(event: ProcessTrigger) -> list[Run]:
    """Start the playbooks an event triggers, inside the transaction of the change that
    emitted it (that change checked the rights; the runs exist exactly when it does)."""
    subject, kind = event.subject, SUBJECT_TYPES[event.subject_type]
    remember_subject(event.subject_type, subject)
    runs = []
    for playbook in _triggered_playbooks(event):
        assert playbook.current is not None
        declared = set(playbook.current.definition.anchors)
        merged = {**kind.anchor_values(subject), **event.anchors}
        runs.append(
            engine.create_run(
                version=playbook.current,
                subject_code=event.subject_type,
                subject=subject,
                anchors={k: v for k, v in merged.items() if k in declared},
                by=event.by,
                trigger=event.name,
            )
        )
    return runs


@with_subject_scope
def foreseen_skips(run: Run, tasks: list[Task] | None = None) -> dict[int, str]:
    """Task id -> why that waiting step will be skipped, for the steps whose condition
    does not hold for the run's subject as it stands (see engine.foreseen_skips)."""
    return engine.foreseen_skips(run, list(run.tasks.all()) if tasks is None else tasks)


def mark_foreseen_skips(run: Run, tasks: list[Task]) -> None:
    """Give each of `tasks` its `foreseen_skip` (the reason, or ""), which the pages show
    in place of "waiting for earlier steps"."""
    foreseen = foreseen_skips(run, tasks)
    for task in tasks:
        task.foreseen_skip = foreseen.get(task.pk, "")  # type: ignore[attr-defined]


def complete_met_steps(*, subject_type: str, subject_id: int, by: Any) -> int:
    """The subject changed (a detail supplied, a tool removed): complete its runs' open
    steps that wait only for checks which all pass now. Part of the caller's transaction."""
    return engine.complete_met_steps(subject_type, subject_id, by=by)


def _running_runs(subject_type: str, subject_id: int) -> list[Run]:
    return list(
        Run.objects.select_for_update(of=("self",))
        .select_related("version")
        .filter(subject_type=subject_type, subject_id=subject_id, state=RunState.RUNNING)
    )


@with_subject_scope
def move_subject_anchor(
    *, by: Any, subject_type: str, subject_id: int, name: str, at: datetime
) -> None:
    """A date of the subject moved (a program's go-live): every running run of it that
    reckons from that anchor follows. Part of the caller's transaction, which checked
    the rights."""
    for run in _running_runs(subject_type, subject_id):
        if name in run.definition.anchors:
            engine.set_anchor(run, name, at, by=by)


@transaction.atomic
@with_subject_scope
def cancel_subject_runs(*, by: Any, subject_type: str, subject_id: int, reason: str) -> None:
    """Stop every running run of a subject (a withdrawn request), as `cancel_run` does.
    Part of the caller's transaction, which checked the rights (whoever may withdraw a
    request stops its runs, without the right to cancel runs by hand)."""
    if not reason.strip():
        raise invalid("reason", "Say why the runs are cancelled.")
    for run in _running_runs(subject_type, subject_id):
        # The run moves as the system's (the caller's rights are the request's, checked).
        _cancel(run, reason.strip(), by, as_system=True)


@with_subject_scope
def reassign_subject_tasks(*, by: Any, subject_type: str, subject_id: int, to: User) -> int:
    """Give the open tasks (not approvals) of a subject's running runs to someone (a
    request handed to an account manager). Part of the caller's transaction, which
    checked the rights and that the person works in the client's unit."""
    tasks = (
        Task.objects.select_for_update(of=("self",))
        .select_related("run__version", "client")
        .filter(
            run__subject_type=subject_type,
            run__subject_id=subject_id,
            run__state=RunState.RUNNING,
            state=TaskState.OPEN,
        )
        .exclude(kind=StepKind.APPROVAL)
    )
    moved = 0
    for task in tasks:
        _hand_task(task, to, by)
        moved += 1
    return moved


def _hand_task(task: Task, to: User, by: Any) -> None:
    before = task.owner_label
    Task.objects.filter(pk=task.pk).update(assignee=to, queue_team=None, queue_role="")
    task.assignee, task.queue_team, task.queue_role = to, None, ""
    record(
        task.client_id,
        EventKind.TASK_REASSIGNED,
        f"{task.title}: {before} -> {to}",
        actor=by,
        run=task.run,
        task=task,
    )
    emit(events.TaskReassigned(task=task, by=by))


def _require_run_manager(by: Any, run: Run) -> None:
    require_capability(by, Capability.RUN_PLAYBOOKS)
    require_unit_access(by, run.business_unit_id)


@transaction.atomic
@with_subject_scope
def cancel_run(*, by: Any, run: Run, reason: str) -> Run:
    """Stop a run: its open and waiting steps are cancelled, their timers dropped,
    meetings it booked that have not happened are called off."""
    _require_run_manager(by, run)
    if not reason.strip():
        raise invalid("reason", "Say why the run is cancelled.")
    run = Run.objects.select_for_update(of=("self",)).get(pk=run.pk)
    return _cancel(run, reason.strip(), by)


def _cancel(run: Run, reason: str, by: Any, *, as_system: bool = False) -> Run:
    if not engine.apply_run_transition(
        run, "cancel", by=None if as_system else by, ended_at=timezone.now(), end_reason=reason
    ):
        raise invalid(
            "state", f"This run is {run.get_state_display().lower()}; it cannot be cancelled."
        )
    for task in run.tasks.filter(state__in=[TaskState.WAITING, TaskState.OPEN]).select_related(
        "meeting"
    ):
        if as_system:
            engine.close(task, "cancel", by=None, cause=by)
        else:
            engine.close(task, "cancel", by=by)
        _call_off_future_meeting(task, by)
    record(
        run.client_id,
        EventKind.RUN_CANCELLED,
        f"{run.definition.name} cancelled: {reason.strip()}",
        actor=by,
        run=run,
    )
    engine.tell_subject_run_ended(run, by=by)
    emit(events.RunEnded(run=run, by=by))
    return run


def _call_off_future_meeting(task: Task, by: Any) -> None:
    meeting = task.meeting
    if (
        meeting is not None
        and meeting.state != MeetingState.CANCELLED
        and (meeting.starts_at > timezone.now())
    ):
        messaging.call_off_meeting(meeting=meeting, by=by)


@transaction.atomic
@with_subject_scope
def move_anchor(*, by: Any, run: Run, name: str, at: datetime) -> Run:
    """Set or move an anchor date (a launch slips): open steps hanging on it, their
    reminders, escalations and meetings move with it."""
    _require_run_manager(by, run)
    run = Run.objects.select_for_update(of=("self",)).select_related("version").get(pk=run.pk)
    if run.state != RunState.RUNNING:
        raise invalid("state", f"This run is {run.get_state_display().lower()}.")
    _check_anchors(run.definition, {name: at})
    engine.set_anchor(run, name, at, by=by)
    return run


# Tasks ----------------------------------------------------------------------------------


def _lock_open(task: Task) -> Task:
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("run__version", "client", "assignee", "meeting")
        .get(pk=task.pk)
    )
    if task.state != TaskState.OPEN:
        raise invalid("state", f"This task is {task.get_state_display().lower()}, not open.")
    return task


def _require_actor(by: Any, task: Task) -> None:
    """The owner (or a member of its queue) acts on a task; a supervisor may act for them."""
    require_unit_access(by, task.business_unit_id)
    if is_owner(by, task) or by.has_capability(Capability.SUPERVISE_TASKS):
        return
    raise PermissionDenied("This task is not yours; ask its owner or a supervisor.")


@transaction.atomic
@with_subject_scope
def complete_task(
    *,
    by: Any,
    task: Task,
    note: str = "",
    attachments: list[Upload] | None = None,
    override_reason: str = "",
) -> Task:
    """Mark a task done (with a note and files), and open the steps that waited for it.

    A step that `requires` checks of its subject (e.g. every purchase-order detail
    in) is refused while any is unmet, unless a role allowed to override gives a reason.
    """
    task = _lock_open(task)
    _require_actor(by, task)
    if task.kind == StepKind.APPROVAL:
        raise invalid("decision", "An approval is decided (approve or reject), not completed.")
    note = note.strip()
    missing = engine.unmet_requirements(task)
    if missing:
        note = _override(by, task, missing, override_reason.strip(), note)
    for upload in attachments or []:
        _attach(task, upload, by)
    _close_or_refuse(task, by, note=note)
    engine.advance(task.run, by=by)
    return task


def _override(by: Any, task: Task, missing: list[str], reason: str, note: str) -> str:
    if not reason:
        raise ValidationError({"requires": [f"Still missing: {m}" for m in missing]})
    if not may_override(by, task):
        raise PermissionDenied("Your roles may not complete this step while items are missing.")
    overridden = f"Completed with items missing ({'; '.join(missing)}): {reason}"
    record(
        task.client_id,
        EventKind.TASK_OVERRIDDEN,
        f"{task.title}: {overridden}",
        actor=by,
        run=task.run,
        task=task,
    )
    return f"{note}\n\n{overridden}".strip()


def _close_or_refuse(task: Task, by: Any, **fields: Any) -> None:
    """Close under the row lock; the compare-and-set still refuses if someone got there first."""
    if not engine.close(task, "complete", by=by, **fields):
        raise invalid("state", "Someone else closed this task a moment ago; reload it.")


def _attach(task: Task, upload: Upload, by: Any) -> None:
    if not upload.filename.strip():
        raise invalid("attachments", "A file needs a name.")
    if len(upload.content) > MAX_ATTACHMENT_BYTES:
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise invalid("attachments", f"{upload.filename} is larger than {limit} MB.")
    TaskAttachment.objects.create(
        task=task,
        filename=upload.filename.strip()[:200],
        content_type=upload.content_type or "application/octet-stream",
        content=upload.content,
        size=len(upload.content),
        uploaded_by=by,
    )


@transaction.atomic
@with_subject_scope
def decide_approval(*, by: Any, task: Task, decision: str, comment: str = "") -> Task:
    """Approve or reject an approval step: its owner decides, once; never the requester."""
    task = _lock_open(task)
    require_unit_access(by, task.business_unit_id)
    if task.kind != StepKind.APPROVAL:
        raise invalid("decision", "Only an approval step takes a decision.")
    if decision not in Decision.values:
        raise invalid("decision", "Decide 'approved' or 'rejected'.")
    if by.pk in engine.askers(task.run):
        raise PermissionDenied("You asked for this; someone else must approve it.")
    if not is_owner(by, task):
        raise PermissionDenied("This approval is not yours to decide.")
    if _decided_another_step(by, task):
        raise PermissionDenied(
            "You already decided a step of this request; each approver decides once."
        )
    if decision == Decision.REJECTED and not comment.strip():
        raise invalid("comment", "Say why it is rejected.")
    _close_or_refuse(task, by, note=comment.strip(), decision=decision)
    engine.advance(task.run, by=by)
    return task


def _decided_another_step(user: Any, task: Task) -> bool:
    """An approver acts once in a chain, even one who holds the roles of two of its steps."""
    return (
        Task.objects.filter(run_id=task.run_id, kind=StepKind.APPROVAL, closed_by=user)
        .exclude(decision="")
        .exclude(pk=task.pk)
        .exists()
    )


@transaction.atomic
@with_subject_scope
def reassign_task(*, by: Any, task: Task, to: User) -> Task:
    """Give an open task to someone else who works in the client's business unit."""
    task = _lock_open(task)
    _require_actor(by, task)
    if not to.is_active:
        raise invalid("to", f"{to} is not an active user.")
    if not (sees_all_units(to) or task.business_unit_id in to.unit_ids()):
        raise invalid("to", f"{to} does not work in {task.client.business_unit}.")
    if task.kind == StepKind.APPROVAL and to.pk in engine.askers(task.run):
        raise invalid("to", "The person who asked cannot approve their own request.")
    _hand_task(task, to, by)
    return task


MAX_BULK_REASSIGN = 200


@transaction.atomic
@with_subject_scope
def reassign_tasks(*, by: Any, tasks: list[Task], to: User) -> list[Task]:
    """Give several open tasks to one person: all of them or, if any is refused, none.

    Each task goes through `reassign_task`'s own checks, in one transaction; the first
    refusal names its task and undoes the ones already moved."""
    if not tasks:
        raise invalid("tasks", "Choose at least one task to reassign.")
    if len(tasks) > MAX_BULK_REASSIGN:
        raise invalid("tasks", f"Reassign at most {MAX_BULK_REASSIGN} tasks at once.")
    moved = []
    for task in sorted(tasks, key=lambda t: t.pk):  # one lock order: no deadlock between two
        try:
            moved.append(reassign_task(by=by, task=task, to=to))
        except ValidationError as error:
            words = "; ".join(m for ms in errors_by_field(error).values() for m in ms)
            raise invalid("tasks", f"“{task.title}” (task {task.pk}): {words}") from error
        except PermissionDenied as error:
            raise PermissionDenied(f"“{task.title}” (task {task.pk}): {error}") from error
    return moved


def may_decide(user: Any, task: Task) -> bool:
    """An approval's owner (or a member of its queue) decides it, never the one who asked,
    and never someone who decided another step of the same chain."""
    if task.kind != StepKind.APPROVAL or user.pk in engine.askers(task.run):
        return False
    return is_owner(user, task) and not _decided_another_step(user, task)


@transaction.atomic
@with_subject_scope
def skip_task(*, by: Any, task: Task, reason: str) -> Task:
    """Skip a step that is not needed here, with the reason; the steps after it go on."""
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("run__version", "client")
        .get(pk=task.pk)
    )
    require_unit_access(by, task.business_unit_id)
    if task.kind == StepKind.APPROVAL:
        # Skipping would let the steps after it open as if it were approved.
        raise invalid("state", "An approval is approved or rejected, never skipped.")
    if not may_skip(by, task):
        if task.step.requires:
            raise PermissionDenied(
                "This step waits for its checks; your roles may not pass it without them."
            )
        raise PermissionDenied("Your roles may not skip this step.")
    if not reason.strip():
        raise invalid("reason", "Say why the step is skipped.")
    if not engine.skip(task, reason=reason.strip(), by=by):
        raise invalid(
            "state", f"This task is {task.get_state_display().lower()}; it cannot be skipped."
        )
    engine.advance(task.run, by=by)
    return task


@transaction.atomic
def comment_on_task(*, by: Any, task: Task, body: str) -> TaskComment:
    """Anyone who can see the client may comment on its tasks."""
    require_unit_access(by, task.business_unit_id)
    if not body.strip():
        raise invalid("body", "Write something.")
    comment = TaskComment.objects.create(task=task, author=by, body=body.strip())
    record(
        task.client_id,
        EventKind.TASK_COMMENTED,
        f"{task.title}: {body.strip()[:200]}",
        actor=by,
        run=task.run,
        task=task,
    )
    emit(events.TaskCommented(task=task, by=by))
    return comment


def note_on_timeline(
    *, client: Any, kind: EventKind, summary: str, by: Any = None, at: datetime | None = None
) -> None:
    """Put something an app above the engine recorded about a client (a service-team
    observation) on the client's timeline, beside its processes; the caller has checked
    the rights to record it."""
    record(client, kind, summary, actor=by, at=at)
