"""Schemas of the process engine's API: what callers send and read about playbooks, runs,
tasks, and a client's timeline.

An answer's fields that need more than an attribute (a username, the current version,
a task's queue or download path) are resolved here, from the row the endpoint returns.
"""

from datetime import datetime
from enum import StrEnum

from django.urls import reverse
from ninja import Schema
from pydantic import AwareDatetime, Field

from retainops.core.schemas import Id
from retainops.playbooks.choices import Decision, RunState, TaskState
from retainops.playbooks.definition import Definition
from retainops.playbooks.models import (
    Playbook,
    PlaybookVersion,
    Run,
    Task,
    TaskAttachment,
    TaskComment,
)

# Playbooks ------------------------------------------------------------------------------


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


# Runs -----------------------------------------------------------------------------------


class ClientRefOut(Schema):
    id: int
    name: str


class RunIn(Schema):
    playbook: str = Field(description="Key of the playbook")
    client: Id = Field(description="Id of the client it runs on")
    anchors: dict[str, AwareDatetime] = Field(
        default_factory=dict,
        description="Anchor name -> ISO date and time with its offset, e.g. "
        '{"go_live": "2026-12-01T09:00:00+01:00"}',
    )


class RunQuery(Schema):
    client: Id | None = Field(None, description="Id of the client")
    state: RunState | None = None
    playbook: str = Field("", description="Key of the playbook")


class CancelIn(Schema):
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


# Tasks ----------------------------------------------------------------------------------


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
    client: Id | None = Field(None, description="Id of the client")
    team: Id | None = Field(None, description="Id of the team whose queue holds the task")


class CommentOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: TaskComment) -> str:
        return obj.author.username


class TaskAttachmentOut(Schema):
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
    attachments: list[TaskAttachmentOut]

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


class TaskReassignIn(Schema):
    to: str = Field(description="Username of the person who takes the task")


class BulkReassignIn(Schema):
    ids: list[int] = Field(description="The tasks to move (at most 200); all move or none does")
    to: str = Field(description="Username of the person who takes them")


class CommentIn(Schema):
    body: str


# Timeline -------------------------------------------------------------------------------


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
