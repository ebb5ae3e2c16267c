"""Pages of the process engine: my work, tasks, playbooks, runs, a client's timeline.

Thin, like the other pages: find what the person may see (another unit's task
or run answers 404, as if it did not exist), call the service that owns the
rule or a read from queries.py, render. A refused action is refused inside
the service (PermissionDenied: the 403 page). An invalid one shows the
service's messages: on the task, publish and start pages the form comes back
with status 400; the small forms of the run and playbook pages flash them on
the page they return to.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from retainops.clients.models import Client
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import errors_by_field, invalid
from retainops.core.forms import attempt, flash_errors, run_and_flash
from retainops.core.pagination import page_or_404
from retainops.core.saved_filters import MAX_QUERY, clean_query, filter_page
from retainops.core.schemas import parse_id
from retainops.core.transitions import declared
from retainops.playbooks import engine, queries, services, words
from retainops.playbooks.choices import Decision, RunState, StepKind
from retainops.playbooks.definition import STARTED, Definition, DefinitionInvalid, Problem
from retainops.playbooks.forms import (
    AnchorForm,
    BulkReassignForm,
    CancelRunForm,
    CommentForm,
    CompleteForm,
    DecideForm,
    PlaybookSourceForm,
    ReassignForm,
    SkipForm,
    StartRunForm,
    TaskListForm,
)
from retainops.playbooks.models import Playbook, PlaybookVersion, Run, Task
from retainops.playbooks.subjects import SUBJECT_TYPES

TIMELINE_PAGE = 100
TIMELINE_MAX = 5000
RECENT_RUNS = 20


def _may(request: HttpRequest, capability: Capability) -> bool:
    """Whether to offer an action; the service checks again when it is taken."""
    user: Any = request.user
    return bool(user.has_capability(capability))


# My work --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One bucket of the inbox as the page shows it."""

    key: str
    title: str
    tasks: list[Task]
    count: int
    empty: str

    @property
    def more(self) -> int:
        return self.count - len(self.tasks)


def _sections(inbox: queries.Inbox) -> list[Section]:
    return [
        Section(
            "overdue", "Overdue", inbox.overdue, len(inbox.overdue), "Nothing of yours is overdue."
        ),
        Section(
            "today",
            "Due today",
            inbox.today,
            len(inbox.today),
            "Nothing else of yours is due today.",
        ),
        Section(
            "upcoming",
            "Upcoming",
            inbox.upcoming,
            inbox.upcoming_count,
            "Nothing is coming up for you after today.",
        ),
        Section(
            "queue",
            "My queues",
            inbox.queue,
            inbox.queue_count,
            "Your teams' and roles' queues are empty: no task waits for someone to take it.",
        ),
        Section(
            "waiting",
            "Waiting on others",
            inbox.waiting,
            inbox.waiting_count,
            "Nothing you asked for is waiting on someone else.",
        ),
    ]


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    sections = _sections(queries.my_work(request.user))
    context = {"sections": sections, "nothing": not any(s.count for s in sections)}
    return render(request, "playbooks/my_work.html", context)


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Tasks by whose and when, with checkboxes to reassign several at once."""
    form = TaskListForm(request.GET or None)
    tasks = queries.filter_tasks(request.user, form.filters())
    page = page_or_404(tasks, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "bulk_form": BulkReassignForm(user=request.user),
        "max_bulk": services.MAX_BULK_REASSIGN,
    }
    return render(request, "playbooks/task_list.html", context)


@login_required
@require_POST
def task_bulk_reassign(request: HttpRequest) -> HttpResponse:
    """All the chosen tasks to one person, or none of them (the refusal names the task)."""
    # Back to the list as it was: its own filters only (registered in apps.py).
    page = filter_page("tasks")
    back = clean_query(page, request.POST.get("back", "")[:MAX_QUERY]) if page else ""
    back_url = reverse("playbooks:tasks") + (f"?{back}" if back else "")
    form = BulkReassignForm(request.POST, user=request.user)
    if not form.is_valid():
        flash_errors(request, {"to": [str(e) for e in form.errors.get("to", ["Choose a person."])]})
        return redirect(back_url)
    to = form.cleaned_data["to"]
    try:
        tasks = _chosen_tasks(request, request.POST.getlist("task"))
        moved = services.reassign_tasks(by=request.user, tasks=tasks, to=to)
    except PermissionDenied as error:
        flash_errors(request, {"tasks": [f"Nothing was reassigned: {error}"]})
    except ValidationError as error:
        problems = errors_by_field(error)
        flash_errors(
            request, {k: [f"Nothing was reassigned: {m}" for m in v] for k, v in problems.items()}
        )
    else:
        messages.success(request, f"{len(moved)} task{pluralize(len(moved))} now with {to}.")
    return redirect(back_url)


def _chosen_tasks(request: HttpRequest, ids: list[str]) -> list[Task]:
    """The chosen tasks, each one the person may see; refused naming an id that is not."""
    if len(ids) > services.MAX_BULK_REASSIGN:
        raise invalid("tasks", f"Reassign at most {services.MAX_BULK_REASSIGN} tasks at once.")
    return [_seen_task(request.user, text) for text in dict.fromkeys(ids)]


def _seen_task(user: Any, text: str) -> Task:
    pk = parse_id(text)
    task = queries.visible_tasks(user).filter(pk=pk).first() if pk else None
    if task is None:
        raise invalid("tasks", f"There is no task {text!r} you may see.")
    return task


# Tasks ----------------------------------------------------------------------------------


def _visible_task(request: HttpRequest, pk: int) -> Task:
    tasks = queries.visible_tasks(request.user).select_related(
        "run__version__playbook",
        "run__requested_by",
        "client",
        "assignee",
        "queue_team",
        "closed_by",
        "meeting",
    )
    return get_object_or_404(tasks, pk=pk)


def _task_url(task: Task) -> str:
    return reverse("playbooks:task", args=[task.pk])


@dataclass(frozen=True)
class TaskActions:
    """Which forms the task page offers this person; the services check again."""

    complete: bool
    decide: bool
    reassign: bool
    take: bool
    skip: bool
    override: bool  # complete with the step's checks unmet, giving a reason
    asked_for_it: bool  # the requester of an approval waits for someone else's decision


SKIPPABLE_STATES = declared(Task, "skip").sources


def _task_actions(user: Any, task: Task) -> TaskActions:
    owner = services.is_owner(user, task)
    acts = task.is_open and (owner or user.has_capability(Capability.SUPERVISE_TASKS))
    asked_for_it = task.kind == StepKind.APPROVAL and user.pk in engine.askers(task.run)
    return TaskActions(
        complete=acts and task.kind != StepKind.APPROVAL,
        decide=task.is_open and services.may_decide(user, task),
        reassign=acts,
        take=acts and task.assignee_id is None and services.in_queue(user, task),
        skip=task.state in SKIPPABLE_STATES and services.may_skip(user, task),
        override=acts and bool(task.step.requires) and services.may_override(user, task),
        asked_for_it=asked_for_it,
    )


def _task_page(
    request: HttpRequest, task: Task, *, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    """The task page; `bound` holds a form that came back with errors, shown instead."""
    step = task.step
    actions = _task_actions(request.user, task)
    context = {
        "task": task,
        "run": task.run,
        "step": step,
        "checks": _check_labels(task),
        "attachments": task.attachments.defer("content").select_related("uploaded_by"),
        "comments": task.comments.select_related("author"),
        "actions": actions,
        "complete_form": bound.get("complete_form") or CompleteForm(may_override=actions.override),
        "decide_form": bound.get("decide_form") or DecideForm(),
        "reassign_form": bound.get("reassign_form") or ReassignForm(task=task),
        "skip_form": bound.get("skip_form") or SkipForm(),
        "comment_form": bound.get("comment_form") or CommentForm(),
    }
    return render(request, "playbooks/task_detail.html", context, status=status)


def _check_labels(task: Task) -> list[str]:
    """What the step requires of its subject before it completes, as people read it."""
    checks = SUBJECT_TYPES[task.run.subject_type].checks
    return [checks[name].label if name in checks else name for name in task.step.requires]


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, _visible_task(request, pk))


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    may_override = _task_actions(request.user, task).override
    form = CompleteForm(request.POST, request.FILES, may_override=may_override)
    done = form.is_valid() and attempt(
        form,
        lambda: services.complete_task(
            by=request.user,
            task=task,
            note=form.cleaned_data["note"],
            attachments=form.uploads(),
            override_reason=form.reason_to_override(),
        ),
    )
    if not done:
        return _task_page(request, task, status=400, complete_form=form)
    messages.success(request, f"Done: {task.title} ({task.client.name}).")
    return redirect("playbooks:my_work")


@login_required
@require_POST
def task_decide(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = DecideForm(request.POST)
    decided = form.is_valid() and attempt(
        form,
        lambda: services.decide_approval(
            by=request.user,
            task=task,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
        ),
    )
    if not decided:
        return _task_page(request, task, status=400, decide_form=form)
    verdict = Decision(form.cleaned_data["decision"]).label
    messages.success(request, f"{verdict}: {task.title} ({task.client.name}).")
    return redirect("playbooks:my_work")


@login_required
@require_POST
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = ReassignForm(request.POST, task=task)
    moved = form.is_valid() and attempt(
        form,
        lambda: services.reassign_task(by=request.user, task=task, to=form.cleaned_data["to"]),
    )
    if not moved:
        return _task_page(request, task, status=400, reassign_form=form)
    messages.success(request, f"{task.title} is now with {form.cleaned_data['to']}.")
    return redirect(_task_url(task))


@login_required
@require_POST
def task_skip(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = SkipForm(request.POST)
    skipped = form.is_valid() and attempt(
        form,
        lambda: services.skip_task(by=request.user, task=task, reason=form.cleaned_data["reason"]),
    )
    if not skipped:
        return _task_page(request, task, status=400, skip_form=form)
    messages.success(request, f"Skipped: {task.title}.")
    return redirect("playbooks:run", pk=task.run_id)


@login_required
@require_POST
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    form = CommentForm(request.POST)
    said = form.is_valid() and attempt(
        form,
        lambda: services.comment_on_task(
            by=request.user, task=task, body=form.cleaned_data["body"]
        ),
    )
    if not said:
        return _task_page(request, task, status=400, comment_form=form)
    messages.success(request, "Comment added.")
    return redirect(_task_url(task) + "#comments")


@login_required
def task_attachment(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    attachment = get_object_or_404(task.attachments, pk=file_pk)
    # Always a download, never shown inline: an uploaded HTML file must not run as our page.
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    return response


# Playbooks ------------------------------------------------------------------------------


def _trigger_label(subject: str, trigger: str) -> str:
    return f"started {words.trigger_words(subject, trigger)}"


def _running_counts(user: Any) -> dict[int, int]:
    """Running runs per playbook, counting only the runs this person may see."""
    running = queries.visible_runs(user).filter(state=RunState.RUNNING)
    # order_by() clears the runs' default ordering, which would split the groups.
    rows = running.order_by().values_list("version__playbook").annotate(n=Count("id"))
    return dict(rows)


@login_required
def playbook_list(request: HttpRequest) -> HttpResponse:
    running = _running_counts(request.user)
    rows = [
        {
            "playbook": playbook,
            "trigger": _trigger_label(playbook.subject, playbook.trigger),
            "running": running.get(playbook.pk, 0),
        }
        for playbook in Playbook.objects.select_related("current")
    ]
    context = {
        "rows": rows,
        "can_manage": _may(request, Capability.MANAGE_PLAYBOOKS),
    }
    return render(request, "playbooks/playbook_list.html", context)


def _prefill(request: HttpRequest) -> dict[str, str]:
    """`?from=<key>` (and `&version=<n>`): start from a published version's YAML."""
    key = request.GET.get("from")
    if not key:
        return {}
    playbook = get_object_or_404(Playbook, key=key)
    number = request.GET.get("version", "")
    if chosen := parse_id(number):
        version = get_object_or_404(playbook.versions, number=chosen)
    elif playbook.current is not None:
        version = playbook.current
    else:
        return {}
    return {"source": version.source}


@login_required
def playbook_publish(request: HttpRequest) -> HttpResponse:
    """Check a playbook's YAML (anyone signed in), or publish it as a new version."""
    if request.method == "POST":
        form = PlaybookSourceForm(request.POST, request.FILES)
    else:
        form = PlaybookSourceForm(initial=_prefill(request))
    checked: Definition | None = None
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "publish":
                version = services.publish_playbook(by=request.user, source=form.yaml_text())
                name = version.playbook.name
                messages.success(request, f"Published version {version.number} of {name}.")
                return redirect("playbooks:detail", key=version.playbook.key)
            checked = services.validate_playbook(source=form.yaml_text())
        except DefinitionInvalid as error:
            problems = error.problems
    context = {
        "form": form,
        "checked": checked,
        "problems": problems,
        "can_publish": _may(request, Capability.MANAGE_PLAYBOOKS),
    }
    status = 400 if form.errors or problems else 200
    return render(request, "playbooks/playbook_publish.html", context, status=status)


@login_required
def playbook_detail(request: HttpRequest, key: str) -> HttpResponse:
    playbook = get_object_or_404(Playbook.objects.select_related("current__published_by"), key=key)
    runs = (
        queries.visible_runs(request.user)
        .filter(version__playbook=playbook)
        .select_related("client", "version", "started_by")[:RECENT_RUNS]
    )
    context = {
        "playbook": playbook,
        "definition": playbook.current.definition if playbook.current else None,
        "trigger": _trigger_label(playbook.subject, playbook.trigger),
        "versions": playbook.versions.select_related("published_by"),
        "runs": runs,
        "can_manage": _may(request, Capability.MANAGE_PLAYBOOKS),
    }
    return render(request, "playbooks/playbook_detail.html", context)


@login_required
def playbook_version(request: HttpRequest, key: str, number: int) -> HttpResponse:
    version = get_object_or_404(
        PlaybookVersion.objects.select_related("playbook", "published_by"),
        playbook__key=key,
        number=number,
    )
    context = {
        "version": version,
        "playbook": version.playbook,
        "definition": version.definition,
        "can_manage": _may(request, Capability.MANAGE_PLAYBOOKS),
    }
    return render(request, "playbooks/playbook_version.html", context)


@login_required
@require_POST
def playbook_active(request: HttpRequest, key: str) -> HttpResponse:
    playbook = get_object_or_404(Playbook, key=key)
    active = request.POST.get("active") == "true"
    services.set_playbook_active(by=request.user, playbook=playbook, active=active)
    state = "active again" if active else "retired: it starts no new runs"
    messages.success(request, f"{playbook.name} is {state}.")
    return redirect("playbooks:detail", key=playbook.key)


# Runs -----------------------------------------------------------------------------------


def _visible_run(request: HttpRequest, pk: int) -> Run:
    runs = queries.visible_runs(request.user).select_related(
        "version__playbook", "client", "started_by", "requested_by"
    )
    return get_object_or_404(runs, pk=pk)


def _run_url(run: Run) -> str:
    return reverse("playbooks:run", args=[run.pk])


@dataclass(frozen=True)
class AnchorRow:
    name: str
    at: datetime | None
    form: AnchorForm | None

    @property
    def label(self) -> str:
        return words.anchor_words(self.name)


def _anchor_rows(run: Run, movable: bool) -> list[AnchorRow]:
    declared = run.definition.anchors
    rows = [AnchorRow(STARTED, run.started_at, None)]
    for name in declared:
        text = run.anchors.get(name)
        at = parse_datetime(text) if text else None
        form = None
        if movable:
            initial = {"name": name, "at": timezone.localtime(at) if at else None}
            form = AnchorForm(initial=initial, anchors=declared, auto_id=f"id_{name}_%s")
            label = words.anchor_words(name).lower()
            form.fields["at"].widget.attrs["aria-label"] = f"New date and time of {label}"
        rows.append(AnchorRow(name, at, form))
    return rows


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _visible_run(request, pk)
    manageable = run.state == RunState.RUNNING and _may(request, Capability.RUN_PLAYBOOKS)
    tasks = list(run.tasks.select_related("assignee", "queue_team", "closed_by").order_by("id"))
    services.mark_foreseen_skips(run, tasks)
    context = {
        "run": run,
        "definition": run.definition,
        "tasks": tasks,
        "anchors": _anchor_rows(run, manageable),
        "can_manage": manageable,
        "cancel_form": CancelRunForm(),
    }
    return render(request, "playbooks/run_detail.html", context)


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = _visible_run(request, pk)
    form = CancelRunForm(request.POST)
    if form.is_valid():
        run_and_flash(
            request,
            lambda: services.cancel_run(
                by=request.user, run=run, reason=form.cleaned_data["reason"]
            ),
            f"{run.version.playbook.name} on {run.client.name} is cancelled.",
        )
    else:
        flash_errors(request, _messages_of(form))
    return redirect(_run_url(run))


def _messages_of(form: forms.Form) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


@login_required
@require_POST
def run_anchor(request: HttpRequest, pk: int) -> HttpResponse:
    run = _visible_run(request, pk)
    form = AnchorForm(request.POST, anchors=run.definition.anchors)
    if form.is_valid():
        name, at = form.cleaned_data["name"], form.cleaned_data["at"]
        when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
        run_and_flash(
            request,
            lambda: services.move_anchor(by=request.user, run=run, name=name, at=at),
            f"{name} is now {when}; the steps due from it moved with it.",
        )
    else:
        flash_errors(request, _messages_of(form))
    return redirect(_run_url(run))


def _chosen_playbook(playbooks: QuerySet[Playbook], value: str | None) -> Playbook | None:
    chosen = parse_id(value)
    return playbooks.filter(pk=chosen).first() if chosen else None


def _start_page(
    request: HttpRequest,
    client: Client,
    playbooks: QuerySet[Playbook],
    *,
    status: int = 200,
    bound: StartRunForm | None = None,
) -> HttpResponse:
    """One small form per startable playbook; `bound` is the one that came back with errors."""
    start_forms = [
        bound
        if bound is not None and bound.chosen.pk == p.pk
        else StartRunForm(playbooks=playbooks, chosen=p)
        for p in playbooks
    ]
    context = {"client": client, "start_forms": start_forms}
    return render(request, "playbooks/run_start.html", context, status=status)


@login_required
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a playbook by hand on a client, pinned to the playbook's current version."""
    client: Client = get_object_or_404(visible_clients(request.user), pk=pk)
    require_capability(request.user, Capability.RUN_PLAYBOOKS)
    playbooks = queries.startable_playbooks("client").select_related("current")
    if request.method != "POST":
        return _start_page(request, client, playbooks)
    chosen = _chosen_playbook(playbooks, request.POST.get("playbook"))
    if chosen is None:
        messages.error(request, "Choose one of the playbooks below.")
        return _start_page(request, client, playbooks, status=400)
    form = StartRunForm(request.POST, playbooks=playbooks, chosen=chosen)
    run = form.is_valid() and attempt(
        form,
        lambda: services.start_run(
            by=request.user, playbook=chosen, subject_id=client.pk, anchors=form.anchors()
        ),
    )
    if not run:
        return _start_page(request, client, playbooks, status=400, bound=form)
    messages.success(request, f"{chosen.name} (version {run.version.number}) started.")
    return redirect(_run_url(run))


# A client's timeline --------------------------------------------------------------------


def _timeline_limit(value: str | None) -> int:
    if wanted := parse_id(value):
        return max(TIMELINE_PAGE, min(wanted, TIMELINE_MAX))
    return TIMELINE_PAGE


@login_required
def client_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(visible_clients(request.user), pk=pk)
    limit = _timeline_limit(request.GET.get("limit"))
    # One entry more than shown tells whether there is anything older.
    entries = queries.client_timeline(client, limit=limit + 1)
    has_more = len(entries) > limit and limit < TIMELINE_MAX
    context = {
        "client": client,
        "entries": entries[:limit],
        "more_url": f"?limit={limit + TIMELINE_PAGE}" if has_more else None,
    }
    return render(request, "playbooks/client_timeline.html", context)
