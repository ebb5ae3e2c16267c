"""API for the process engine: playbooks, runs, tasks, and a client's timeline.

Thin, like the pages: each endpoint resolves what it names, scoped to the caller
(a run, task or client of another business unit is "not found"), then calls the
same service or read as the pages. Who may do what is decided in the services.
A playbook's text that does not check answers 400 with every problem, each
named by its step; other bad input answers 422 naming the field.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from retainops.clients.queries import visible_clients
from retainops.core.errors import invalid
from retainops.core.models import User
from retainops.core.pagination import Pages
from retainops.playbooks import queries, services
from retainops.playbooks.definition import Definition, DefinitionInvalid
from retainops.playbooks.forms import as_upload
from retainops.playbooks.models import (
    Playbook,
    PlaybookVersion,
    Run,
    Task,
    TaskAttachment,
)
from retainops.playbooks.schemas import (
    AnchorIn,
    BulkReassignIn,
    CancelIn,
    CommentIn,
    CommentOut,
    DecisionIn,
    NoteIn,
    PlaybookDetailOut,
    PlaybookOut,
    ProblemsOut,
    RunDetailOut,
    RunIn,
    RunOut,
    RunQuery,
    SourceIn,
    TaskOut,
    TaskQuery,
    TaskReassignIn,
    TaskStateFilter,
    TimelinePageOut,
    TimelineQuery,
    VersionDetailOut,
)

router = Router(tags=["playbooks"])


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
    # Each task's description is its step's, read from the version's definition: load it.
    tasks = tasks.defer(None)
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
@paginate(Pages, page_size=50, max_page_size=500)
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
@paginate(Pages, page_size=50, max_page_size=500)
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
def cancel_run(request: HttpRequest, run_id: int, payload: CancelIn) -> Any:
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
@paginate(Pages, page_size=50, max_page_size=500)
def list_tasks(request: HttpRequest, filters: Query[TaskQuery]) -> Any:
    wanted = queries.TaskFilters(
        scope=filters.scope,
        due=filters.due or "",
        state="" if filters.state == TaskStateFilter.ANY else filters.state.value,
        client=filters.client,
        team=filters.team,
    )
    return _with_details(queries.filter_tasks(request.user, wanted))


# Before "/tasks/{task_id}": the first path that matches answers, and "reassign" would
# be taken for a task id.
@router.post("/tasks/reassign", response=list[TaskOut], tags=["tasks"])
def reassign_tasks(request: HttpRequest, payload: BulkReassignIn) -> Any:
    """Give several open tasks to one person: all of them, or (if any is refused, which
    the answer names) none."""
    if len(payload.ids) > services.MAX_BULK_REASSIGN:
        raise invalid("ids", f"Reassign at most {services.MAX_BULK_REASSIGN} tasks at once.")
    wanted = list(dict.fromkeys(payload.ids))
    found = {t.pk: t for t in queries.visible_tasks(request.user).filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise invalid("ids", f"No task {missing[0]} you may see.")
    to = _user(payload.to, "to")
    with _fields_renamed(tasks="ids"):
        services.reassign_tasks(by=request.user, tasks=[found[pk] for pk in wanted], to=to)
    return _with_details(queries.visible_tasks(request.user).filter(pk__in=wanted).order_by("id"))


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
def reassign_task(request: HttpRequest, task_id: int, payload: TaskReassignIn) -> Any:
    task = _task(request, task_id)
    services.reassign_task(by=request.user, task=task, to=_user(payload.to, "to"))
    return _task(request, task_id)


@router.post("/tasks/{task_id}/skip", response=TaskOut, tags=["tasks"])
def skip_task(request: HttpRequest, task_id: int, payload: CancelIn) -> Any:
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
