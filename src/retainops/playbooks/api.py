"""API for the process engine: playbooks, runs, tasks, and a client's timeline.

Thin, like the pages: each endpoint resolves what it names, scoped to the caller
(a run, task or client of another business unit is "not found"), then calls the
same service or read as the pages. Who may do what is decided in the services.
A playbook's text that does not check answers 400 with every problem, each
named by its step; other bad input answers 422 naming the field.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import AwareDatetime, Field

from retainops.clients.queries import visible_clients
from retainops.core.errors import invalid
from retainops.core.models import User
from retainops.playbooks import queries, services
from retainops.playbooks.choices import Decision, RunState, TaskState
from retainops.playbooks.definition import Definition, DefinitionInvalid
from retainops.playbooks.forms import as_upload
from retainops.playbooks.models import (
    Playbook,
    PlaybookVersion,
    Run,
    Task,
    TaskAttachment,
    TaskComment,
)

router = Router(tags=["playbooks"])


# Schemas --------------------------------------------------------------------------------


class SourceIn(Schema):
    yaml: str = Field(description="The playbook's YAML text")


class ProblemOut(Schema):
    step: str | None = Field(description="Key of the step; null for the playbook itself")
    field: str | None
    message: str


class ProblemsOut(Schema):
    detail: str
    errors: list[ProblemOut]


class VersionOut(Schema):
    number: int
    published_at: datetime
    published_by: str | None

    @staticmethod
    def resolve_published_by(obj: PlaybookVersion) -> str | None:
        return obj.published_by.username if obj.published_by else None


class VersionDetailOut(VersionOut):
    playbook: str = Field(alias="playbook.key")
    source: str
    definition: Definition


class PlaybookOut(Schema):
    key: str
    name: str
    subject: str
    trigger: str
    is_active: bool
    current_version: int | None

    @staticmethod
    def resolve_current_version(obj: Playbook) -> int | None:
        return obj.current.number if obj.current else None


class PlaybookDetailOut(PlaybookOut):
    definition: Definition | None
    versions: list[VersionOut]

    @staticmethod
    def resolve_definition(obj: Playbook) -> Definition | None:
        return obj.current.definition if obj.current else None

    @staticmethod
    def resolve_versions(obj: Playbook) -> list[PlaybookVersion]:
        return list(obj.versions.select_related("published_by").order_by("-number"))


class ClientRefOut(Schema):
    id: int
    name: str


class RunIn(Schema):
    playbook: str = Field(description="Key of the playbook")
    client: int = Field(description="Id of the client it runs on")
    anchors: dict[str, AwareDatetime] = Field(
        default_factory=dict,
        description="Anchor name -> ISO date and time with its offset, e.g. "
        '{"go_live": "2026-12-01T09:00:00+01:00"}',
    )


class RunQuery(Schema):
    client: int | None = Field(None, description="Id of the client")
    state: RunState | None = None
    playbook: str = Field("", description="Key of the playbook")


class ReasonIn(Schema):
    reason: str = ""


class AnchorIn(Schema):
    name: str = Field(description="Name of an anchor the playbook declares")
    at: AwareDatetime = Field(description="ISO date and time with its offset")


class RunTaskOut(Schema):
    id: int
    step_key: str
    title: str
    kind: str
    state: str
    owner: str = Field(alias="owner_label")
    due_at: datetime | None
    closed_at: datetime | None
    decision: str | None

    @staticmethod
    def resolve_decision(obj: Task) -> str | None:
        return obj.decision or None


class RunOut(Schema):
    id: int
    playbook: str = Field(alias="version.playbook.key")
    playbook_name: str = Field(alias="version.playbook.name")
    version: int = Field(alias="version.number")
    client: ClientRefOut
    subject_type: str
    subject_id: int
    state: str
    trigger: str
    anchors: dict[str, datetime]
    started_at: datetime
    started_by: str | None
    requested_by: str | None
    ended_at: datetime | None
    end_reason: str

    @staticmethod
    def resolve_started_by(obj: Run) -> str | None:
        return obj.started_by.username if obj.started_by else None

    @staticmethod
    def resolve_requested_by(obj: Run) -> str | None:
        return obj.requested_by.username if obj.requested_by else None


class RunDetailOut(RunOut):
    tasks: list[RunTaskOut]

    @staticmethod
    def resolve_tasks(obj: Run) -> list[Task]:
        # In the order of the definition's steps (their tasks are created in that order).
        return list(obj.tasks.select_related("assignee", "queue_team").order_by("id"))


class TaskScope(StrEnum):
    MINE = "mine"
    QUEUE = "queue"
    WAITING = "waiting"
    ALL = "all"


class TaskDue(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    UPCOMING = "upcoming"


class TaskStateFilter(StrEnum):
    """A task state, or `any` for tasks in every state."""

    WAITING = TaskState.WAITING.value
    OPEN = TaskState.OPEN.value
    DONE = TaskState.DONE.value
    SKIPPED = TaskState.SKIPPED.value
    CANCELLED = TaskState.CANCELLED.value
    ANY = "any"


class TaskQuery(Schema):
    scope: TaskScope = Field(
        TaskScope.MINE,
        description="mine: assigned to me; queue: unassigned in my queues; "
        "waiting: runs I asked for, in others' hands; all: every task I can see",
    )
    due: TaskDue | None = None
    state: TaskStateFilter = TaskStateFilter.OPEN
    client: int | None = Field(None, description="Id of the client")
    team: int | None = Field(None, description="Id of the team whose queue holds the task")


class CommentOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: TaskComment) -> str:
        return obj.author.username


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: datetime
    download: str = Field(description="Path of the file's download (the API's, same access)")

    @staticmethod
    def resolve_uploaded_by(obj: TaskAttachment) -> str:
        return obj.uploaded_by.username

    @staticmethod
    def resolve_download(obj: TaskAttachment) -> str:
        return reverse("api:task_attachment", args=[obj.task_id, obj.pk])


class TaskOut(Schema):
    id: int
    run: int = Field(alias="run_id")
    playbook: str = Field(alias="run.version.playbook.key")
    client: ClientRefOut
    step_key: str
    title: str
    description: str
    kind: str
    state: str
    owner: str = Field(alias="owner_label")
    assignee: str | None
    queue: str | None = Field(description="team:<name> or role:<code> while unassigned")
    due_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    note: str
    decision: str | None
    skip_reason: str
    overdue: bool = Field(alias="is_overdue")
    comments: list[CommentOut]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_description(obj: Task) -> str:
        return obj.step.description

    @staticmethod
    def resolve_assignee(obj: Task) -> str | None:
        return obj.assignee.username if obj.assignee else None

    @staticmethod
    def resolve_queue(obj: Task) -> str | None:
        if obj.queue_team:
            return f"team:{obj.queue_team.name}"
        return f"role:{obj.queue_role}" if obj.queue_role else None

    @staticmethod
    def resolve_closed_by(obj: Task) -> str | None:
        return obj.closed_by.username if obj.closed_by else None

    @staticmethod
    def resolve_decision(obj: Task) -> str | None:
        return obj.decision or None

    @staticmethod
    def resolve_comments(obj: Task) -> list[TaskComment]:
        return list(obj.comments.all())

    @staticmethod
    def resolve_attachments(obj: Task) -> list[TaskAttachment]:
        return list(obj.attachments.all())


class NoteIn(Schema):
    note: str = ""


class DecisionIn(Schema):
    decision: Decision
    comment: str = Field("", description="Required when rejecting")


class ReassignIn(Schema):
    to: str = Field(description="Username of the person who takes the task")


class CommentIn(Schema):
    body: str


class TimelineEntryOut(Schema):
    when: datetime
    source: str = Field(description="process, message or record")
    kind: str
    label: str
    summary: str
    who: str | None
    run: int | None = None
    task: int | None = None
    message: int | None = None


class TimelineQuery(Schema):
    before: AwareDatetime | None = Field(
        None,
        description="Only entries older than this ISO date and time (with its offset): "
        "the `next_before` of the page before",
    )
    limit: int = Field(50, ge=1, le=500, description="Entries per page")


class TimelinePageOut(Schema):
    items: list[TimelineEntryOut] = Field(
        description="Newest first; a page ends with every entry of its last instant, "
        "so it may hold a few more than `limit`"
    )
    next_before: datetime | None = Field(
        description="Pass as `before` for the older entries; null when none are left"
    )


# Lookups --------------------------------------------------------------------------------


def _not_valid(error: DefinitionInvalid) -> Status:
    problems = [problem.as_dict() for problem in error.problems]
    return Status(400, {"detail": "The playbook is not valid.", "errors": problems})


def _playbook(key: str) -> Playbook:
    return get_object_or_404(Playbook.objects.select_related("current"), key=key)


def _runs(request: HttpRequest) -> QuerySet[Run]:
    return queries.visible_runs(request.user).select_related(
        "version__playbook", "client", "started_by", "requested_by"
    )


def _run(request: HttpRequest, run_id: int) -> Run:
    return get_object_or_404(_runs(request), pk=run_id)


def _with_details(tasks: QuerySet[Task]) -> QuerySet[Task]:
    files = TaskAttachment.objects.defer("content").select_related("uploaded_by").order_by("id")
    return tasks.select_related(*queries.TASK_RELATED, "closed_by").prefetch_related(
        "comments__author", Prefetch("attachments", queryset=files)
    )


def _task(request: HttpRequest, task_id: int) -> Task:
    return get_object_or_404(_with_details(queries.visible_tasks(request.user)), pk=task_id)


def _user(username: str, field: str) -> User:
    found = User.objects.filter(username=username).first()
    if found is None:
        raise invalid(field, f"No user is called {username!r}.")
    return found


@contextmanager
def _fields_renamed(**names: str) -> Iterator[None]:
    """A service names the model's fields; say them as this endpoint's body does."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        renamed = {names.get(field, field): errs for field, errs in error.error_dict.items()}
        raise ValidationError(renamed) from error


# Playbooks ------------------------------------------------------------------------------


@router.post("/playbooks/validate", response={200: Definition, 400: ProblemsOut})
def validate_playbook(request: HttpRequest, payload: SourceIn) -> Any:
    """Check a playbook's YAML without storing anything: its definition, or every problem."""
    try:
        return services.validate_playbook(source=payload.yaml)
    except DefinitionInvalid as error:
        return _not_valid(error)


@router.get("/playbooks", response=list[PlaybookOut])
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_playbooks(request: HttpRequest) -> Any:
    return Playbook.objects.select_related("current").order_by("name", "key")


@router.post("/playbooks", response={201: VersionDetailOut, 400: ProblemsOut})
def publish_playbook(request: HttpRequest, payload: SourceIn) -> Any:
    """Publish the YAML as the playbook's next version; runs under way keep theirs."""
    try:
        version = services.publish_playbook(by=request.user, source=payload.yaml)
    except DefinitionInvalid as error:
        return _not_valid(error)
    return Status(201, version)


@router.get("/playbooks/{key}", response=PlaybookDetailOut)
def get_playbook(request: HttpRequest, key: str) -> Any:
    return _playbook(key)


@router.get("/playbooks/{key}/versions/{number}", response=VersionDetailOut)
def get_playbook_version(request: HttpRequest, key: str, number: int) -> Any:
    versions = PlaybookVersion.objects.select_related("playbook", "published_by")
    return get_object_or_404(versions, playbook__key=key, number=number)


@router.post("/playbooks/{key}/retire", response=PlaybookDetailOut)
def retire_playbook(request: HttpRequest, key: str) -> Any:
    """No new runs start from a retired playbook; runs under way go on."""
    services.set_playbook_active(by=request.user, playbook=_playbook(key), active=False)
    return _playbook(key)


@router.post("/playbooks/{key}/restore", response=PlaybookDetailOut)
def restore_playbook(request: HttpRequest, key: str) -> Any:
    services.set_playbook_active(by=request.user, playbook=_playbook(key), active=True)
    return _playbook(key)


# Runs -----------------------------------------------------------------------------------


def _client_playbook(key: str) -> Playbook:
    """The playbook a run on a client starts from; 422 naming `playbook` if there is none."""
    playbook = Playbook.objects.select_related("current").filter(key=key).first()
    if playbook is None:
        raise invalid("playbook", f"No playbook has the key {key!r}.")
    if playbook.subject != "client":
        # This endpoint names a client; other subjects start runs from their own records.
        raise invalid("playbook", f"{playbook.name} runs on a {playbook.subject}, not a client.")
    return playbook


@router.post("/runs", response={201: RunDetailOut}, tags=["runs"])
def start_run(request: HttpRequest, payload: RunIn) -> Any:
    """Start a playbook by hand on a client, pinned to the playbook's current version."""
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    run = services.start_run(
        by=request.user,
        playbook=_client_playbook(payload.playbook),
        subject_id=client.pk,
        anchors=dict(payload.anchors),
    )
    return Status(201, _run(request, run.pk))


@router.get("/runs", response=list[RunOut], tags=["runs"])
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_runs(request: HttpRequest, filters: Query[RunQuery]) -> Any:
    runs = _runs(request)
    if filters.client is not None:
        runs = runs.filter(client_id=filters.client)
    if filters.state:
        runs = runs.filter(state=filters.state)
    if filters.playbook:
        runs = runs.filter(version__playbook__key=filters.playbook)
    return runs.order_by("-started_at", "-id")


@router.get("/runs/{run_id}", response=RunDetailOut, tags=["runs"])
def get_run(request: HttpRequest, run_id: int) -> Any:
    return _run(request, run_id)


@router.post("/runs/{run_id}/cancel", response=RunDetailOut, tags=["runs"])
def cancel_run(request: HttpRequest, run_id: int, payload: ReasonIn) -> Any:
    """Stop a run, saying why: its open and waiting steps are cancelled."""
    services.cancel_run(by=request.user, run=_run(request, run_id), reason=payload.reason)
    return _run(request, run_id)


@router.post("/runs/{run_id}/anchors", response=RunDetailOut, tags=["runs"])
def move_anchor(request: HttpRequest, run_id: int, payload: AnchorIn) -> Any:
    """Set or move an anchor date: open steps due relative to it move with it."""
    with _fields_renamed(anchors="name"):
        services.move_anchor(
            by=request.user, run=_run(request, run_id), name=payload.name, at=payload.at
        )
    return _run(request, run_id)


# Tasks ----------------------------------------------------------------------------------


@router.get("/tasks", response=list[TaskOut], tags=["tasks"])
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_tasks(request: HttpRequest, filters: Query[TaskQuery]) -> Any:
    wanted = queries.TaskFilters(
        scope=filters.scope,
        due=filters.due or "",
        state="" if filters.state == TaskStateFilter.ANY else filters.state.value,
        client=filters.client,
        team=filters.team,
    )
    return _with_details(queries.filter_tasks(request.user, wanted))


@router.get("/tasks/{task_id}", response=TaskOut, tags=["tasks"])
def get_task(request: HttpRequest, task_id: int) -> Any:
    return _task(request, task_id)


@router.post("/tasks/{task_id}/complete", response=TaskOut, tags=["tasks"])
def complete_task(request: HttpRequest, task_id: int, payload: NoteIn) -> Any:
    """Mark a task done; the steps that waited for it open. To attach files, send the
    same as multipart to `/complete-with-files`."""
    services.complete_task(by=request.user, task=_task(request, task_id), note=payload.note)
    return _task(request, task_id)


@router.post("/tasks/{task_id}/complete-with-files", response=TaskOut, tags=["tasks"])
def complete_task_with_files(
    request: HttpRequest,
    task_id: int,
    file: File[list[UploadedFile] | None] = None,
    note: Form[str] = "",
) -> Any:
    """Mark a task done with files attached (multipart: `note`, and one or more `file`);
    each file stays with the task (at most 10 MB each), as from the task's page."""
    task = _task(request, task_id)
    if not file:
        raise invalid("file", "Attach a file (or complete the task without one at /complete).")
    with _fields_renamed(attachments="file"):
        services.complete_task(
            by=request.user, task=task, note=note, attachments=[as_upload(f) for f in file]
        )
    return _task(request, task_id)


@router.get(
    "/tasks/{task_id}/attachments/{attachment_id}",
    url_name="task_attachment",
    tags=["tasks"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def download_attachment(request: HttpRequest, task_id: int, attachment_id: int) -> HttpResponse:
    """The file as it was uploaded, always as a download (never shown inline)."""
    task = get_object_or_404(queries.visible_tasks(request.user), pk=task_id)
    attachment = get_object_or_404(task.attachments, pk=attachment_id)
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    return response


@router.post("/tasks/{task_id}/decide", response=TaskOut, tags=["tasks"])
def decide_task(request: HttpRequest, task_id: int, payload: DecisionIn) -> Any:
    """Approve or reject an approval step (never one's own request)."""
    services.decide_approval(
        by=request.user,
        task=_task(request, task_id),
        decision=payload.decision,
        comment=payload.comment,
    )
    return _task(request, task_id)


@router.post("/tasks/{task_id}/reassign", response=TaskOut, tags=["tasks"])
def reassign_task(request: HttpRequest, task_id: int, payload: ReassignIn) -> Any:
    task = _task(request, task_id)
    services.reassign_task(by=request.user, task=task, to=_user(payload.to, "to"))
    return _task(request, task_id)


@router.post("/tasks/{task_id}/skip", response=TaskOut, tags=["tasks"])
def skip_task(request: HttpRequest, task_id: int, payload: ReasonIn) -> Any:
    """Skip a step not needed here, saying why; the steps after it go on."""
    services.skip_task(by=request.user, task=_task(request, task_id), reason=payload.reason)
    return _task(request, task_id)


@router.post("/tasks/{task_id}/comment", response={201: CommentOut}, tags=["tasks"])
def comment_on_task(request: HttpRequest, task_id: int, payload: CommentIn) -> Any:
    task = _task(request, task_id)
    return Status(201, services.comment_on_task(by=request.user, task=task, body=payload.body))


# Timeline -------------------------------------------------------------------------------


@router.get("/clients/{client_id}/timeline", response=TimelinePageOut, tags=["timeline"])
def client_timeline(request: HttpRequest, client_id: int, filters: Query[TimelineQuery]) -> Any:
    """Process events, messages and record changes of a client, newest first, a page at
    a time: to read further back, ask again with `before` set to the answer's `next_before`."""
    client = get_object_or_404(visible_clients(request.user), pk=client_id)
    found = queries.client_timeline_page(client, limit=filters.limit, before=filters.before)
    return {"items": found.entries, "next_before": found.next_before}
