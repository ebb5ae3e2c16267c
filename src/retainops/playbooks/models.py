"""Playbooks (definitions, versioned) apart from their runs (tasks, timers, timeline).

A version is written once and never changed; a run pins the version it
started with, so publishing a new version never touches runs under way.
Every timer is a row with `due_at` and `fired_at`; the worker claims due rows.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from retainops.core.choices import badge
from retainops.playbooks.choices import (
    CLOSED_TASK_STATES,
    RUN_STATE_COLOURS,
    TASK_STATE_COLOURS,
    Decision,
    EventKind,
    RunState,
    StepKind,
    TaskState,
    TimerKind,
)
from retainops.playbooks.definition import Definition, Step, definition_from_json
from retainops.playbooks.permissions import (
    close_permission,
    run_manager_permission,
    skip_permission,
)

R = RunState
T = TaskState


class Playbook(models.Model):
    """A named process (e.g. 'sales-handoff'); its steps live in its versions."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    subject = models.CharField(max_length=40, default="client")
    trigger = models.CharField(max_length=80, default="manual")
    is_active = models.BooleanField(
        default=True, help_text="Retired playbooks start no new runs; runs under way go on."
    )
    current = models.ForeignKey(
        "PlaybookVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["trigger", "is_active"])]

    def __str__(self) -> str:
        return self.name


class PlaybookVersion(models.Model):
    """One published version of a playbook: its YAML and the checked definition. Never edited."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source = models.TextField(help_text="The YAML as it was published.")
    definition_json = models.TextField(help_text="The checked definition, as JSON.")
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["playbook", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "number"], name="one_number_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.playbook.key} v{self.number}"

    @property
    def definition(self) -> Definition:
        return definition_from_json(self.definition_json)


def _settled_without_rejection(run: Any) -> bool:
    return bool(run.outcome() == RunState.COMPLETED)


def _settled_with_rejection(run: Any) -> bool:
    return bool(run.outcome() == RunState.REJECTED)


class Run(FSMModelMixin, models.Model):
    """One playbook version running on one subject (a client, a program, a request...).

    Its state moves only through the transitions below, applied by compare-and-set
    (`core.transitions.move`): the engine ends a run, a run manager cancels it.
    """

    version = models.ForeignKey(PlaybookVersion, on_delete=models.PROTECT, related_name="runs")
    subject_type = models.CharField(max_length=40)
    subject_id = models.PositiveBigIntegerField()
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="runs")
    business_unit = models.ForeignKey(
        "core.BusinessUnit", on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(max_length=12, choices=RunState.choices, default=R.RUNNING, protected=True)
    anchors = models.JSONField(default=dict, help_text="Anchor name -> ISO date and time.")
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who asked for what the run decides; they never approve it.",
    )
    trigger = models.CharField(max_length=80, default="manual")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["client", "-started_at"]),
            models.Index(fields=["state", "business_unit"]),
            models.Index(fields=["requested_by", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.version.playbook.name} on {self.client}"

    @property
    def state_badge(self) -> dict:
        return badge(RunState, RUN_STATE_COLOURS, self.state)

    @property
    def definition(self) -> Definition:
        return self.version.definition

    @property
    def trigger_words(self) -> str:
        """How the run started, in words ('when a program is marked sold')."""
        from retainops.playbooks.words import trigger_words

        return trigger_words(self.subject_type, self.trigger)

    def outcome(self) -> str | None:
        """How the run ends now: None while a step is unsettled, else completed or rejected."""
        tasks = list(self.tasks.values_list("state", "decision"))
        if any(state not in CLOSED_TASK_STATES for state, _ in tasks):
            return None
        if any(decision == Decision.REJECTED for _, decision in tasks):
            return R.REJECTED
        return R.COMPLETED

    @transition(
        field=state,
        source=R.RUNNING,
        target=R.COMPLETED,
        conditions=[_settled_without_rejection],
    )
    def complete(self) -> None:
        """Every step settled, none rejected."""

    @transition(
        field=state,
        source=R.RUNNING,
        target=R.REJECTED,
        conditions=[_settled_with_rejection],
    )
    def end_rejected(self) -> None:
        """Every step settled, and an approval was refused."""

    @transition(
        field=state, source=R.RUNNING, target=R.CANCELLED, permission=run_manager_permission
    )
    def cancel(self) -> None:
        """Stopped by hand, with a reason."""


class Task(FSMModelMixin, models.Model):
    """A step of a run: a piece of work for a person or a queue (or the engine's own step).

    Every step gets a task when the run starts, `waiting` until its needs are
    met; the owner is resolved when it opens: a person (the role's holder on
    the client's team, or a named user), else a queue (a team, or a role in
    the client's business unit) that any member may take.

    Its state moves only through the transitions below, by compare-and-set
    (`core.transitions.move`), so of two people closing it at once one wins.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="tasks")
    step_key = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=StepKind.choices, default=StepKind.TASK)
    state = FSMField(max_length=10, choices=TaskState.choices, default=T.WAITING, protected=True)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey(
        "core.BusinessUnit", on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queue_team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queue_role = models.CharField(max_length=40, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    skip_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    meeting = models.ForeignKey(
        "messaging.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "state", "due_at"], name="task_mine_idx"),
            models.Index(fields=["queue_team", "state", "due_at"], name="task_team_idx"),
            models.Index(
                fields=["queue_role", "business_unit", "state", "due_at"], name="task_role_idx"
            ),
            models.Index(fields=["run", "step_key"], name="task_run_idx"),
            # The search (playbooks/search.py): one title's open tasks, due first; and all
            # the open tasks due first, walked while the clients matching a common name
            # give enough of them (a rare name goes through the client's index instead).
            models.Index(fields=["title", "state", "due_at", "id"], name="task_title_idx"),
            models.Index(
                fields=["due_at", "id"],
                condition=Q(state__in=[T.WAITING, T.OPEN]),
                name="task_open_due_idx",
            ),
            # Whether a client has an overdue step (the home page ranks a person's
            # clients by it): without it PostgreSQL answers with a scan of every task.
            models.Index(
                fields=["client", "due_at"], condition=Q(state=T.OPEN), name="task_client_open_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "step_key"], name="one_task_per_step")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def state_badge(self) -> dict:
        return badge(TaskState, TASK_STATE_COLOURS, self.state)

    @property
    def approval_badge(self) -> str:
        """'approval' beside an approval's title, unless the title says so already:
        a screen reader would read 'Director approval approval'."""
        if self.kind != StepKind.APPROVAL or "approv" in self.title.lower():
            return ""
        return "approval"

    @property
    def step(self) -> Step:
        return self.run.definition.step(self.step_key)

    @property
    def is_open(self) -> bool:
        return self.state == TaskState.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def owner_label(self) -> str:
        if self.assignee_id:
            return str(self.assignee)
        if self.queue_team_id:
            return f"queue: {self.queue_team}"
        if self.queue_role:
            return f"queue: {self.queue_role.replace('_', ' ')}"
        return "the engine" if self.kind in (StepKind.MESSAGE, StepKind.WAIT) else "no one"

    @transition(field=state, source=T.WAITING, target=T.OPEN)
    def open(self) -> None:
        """The steps it needs are settled: the engine gives it an owner and a due time."""

    @transition(field=state, source=T.OPEN, target=T.DONE, permission=close_permission)
    def complete(self) -> None:
        """Done by its owner (or decided, for an approval), or by the engine for its own steps."""

    @transition(
        field=state, source=[T.WAITING, T.OPEN], target=T.SKIPPED, permission=skip_permission
    )
    def skip(self) -> None:
        """Not needed here: skipped by someone allowed to, or by the engine with the reason."""

    @transition(
        field=state,
        source=[T.WAITING, T.OPEN],
        target=T.CANCELLED,
        permission=run_manager_permission,
    )
    def cancel(self) -> None:
        """Its run was cancelled."""


class TaskComment(models.Model):
    """A remark on a task, kept with who wrote it and when."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class TaskAttachment(models.Model):
    """A file added to a task when it was completed (a signed order, call notes...)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class TimerQuerySet(models.QuerySet["Timer"]):
    def pending(self) -> "TimerQuerySet":
        return self.filter(fired_at__isnull=True, dropped_at__isnull=True)

    def due(self, at: Any) -> "TimerQuerySet":
        return self.pending().filter(due_at__lte=at)


class Timer(models.Model):
    """A moment something must happen to a task: a reminder, an escalation, the end of a wait.

    `offset` is relative to the task's due time, so when the due time moves
    the pending timer moves with it. A timer fires once (`fired_at`), or is
    dropped (`dropped_at`) when its task closes first. A reminder reached too late to be
    of use is handled unsent (`missed_at`; playbooks/timers.py).
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=10, choices=TimerKind.choices)
    slot = models.PositiveSmallIntegerField(
        default=0, help_text="Which reminder or escalation of the step this is."
    )
    offset = models.DurationField(default=timedelta(0))
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    # A reminder the worker reached past REMINDER_GRACE_HOURS: handled (fired_at) unsent.
    missed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    objects = TimerQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # Only pending timers are in this index: the sweep reads what is due,
            # whatever the number of timers that fired long ago.
            models.Index(
                fields=["due_at"],
                condition=Q(fired_at__isnull=True, dropped_at__isnull=True),
                name="timer_due_idx",
            ),
            models.Index(fields=["task", "kind", "slot"], name="timer_task_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.task} at {self.due_at:%Y-%m-%d %H:%M}"


class TimelineEvent(models.Model):
    """Something a process did to a client: a run started, a task done or missed, a decision."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="timeline_events"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    summary = models.CharField(max_length=500)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"], name="timeline_client_idx")]

    def __str__(self) -> str:
        return self.summary
