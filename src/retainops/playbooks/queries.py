"""Reads of the process engine, always scoped to the person asking.

- `visible_tasks` / `visible_runs`: what a person may see (their business units).
- `my_work`: the inbox, in buckets (overdue, due today, upcoming, queues,
  waiting on others), each read from an index that starts with the person's
  own column (assignee, queue, requester).
- `work_counts`: the two numbers the navigation shows.
- `client_timeline` / `client_timeline_page`: process events, messages and
  record changes of one client, merged newest first, a page at a time.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from retainops.clients.models import Client
from retainops.clients.queries import client_history
from retainops.core.access import sees_all_units
from retainops.messaging.queries import messages_for_client
from retainops.playbooks import words
from retainops.playbooks.choices import RunState, TaskState
from retainops.playbooks.models import Playbook, Run, Task, TimelineEvent

TASK_RELATED = ("client", "assignee", "queue_team", "run__version__playbook")
# A list of tasks names each one's playbook, never its text: a version's YAML and checked
# JSON are kilobytes per row, read and decoded for every task shown.
VERSION_TEXT = ("run__version__source", "run__version__definition_json")


def _listed(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.select_related(*TASK_RELATED).defer(*VERSION_TEXT)


def visible_tasks(user: Any) -> QuerySet[Task]:
    tasks = Task.objects.all()
    if not sees_all_units(user):
        tasks = tasks.filter(business_unit_id__in=user.unit_ids())
    return tasks


def visible_runs(user: Any) -> QuerySet[Run]:
    runs = Run.objects.all()
    if not sees_all_units(user):
        runs = runs.filter(business_unit_id__in=user.unit_ids())
    return runs


def end_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def queue_filter(user: Any) -> Q:
    """Unassigned open tasks the person may take: their teams', their roles' in their units."""
    team_ids = list(user.teams.values_list("id", flat=True))
    roles = sorted(user.role_codes())
    by_role = Q(queue_role__in=roles) if roles else Q(pk__in=[])
    if not sees_all_units(user):
        by_role &= Q(business_unit_id__in=user.unit_ids())
    # No `assignee IS NULL` term: a task with a queue has no assignee (taking or handing
    # it over clears the queue), and the term led SQLite to the assignee index, walking
    # every unassigned task instead of the role's queue.
    return Q(queue_team_id__in=team_ids) | by_role


def _open() -> QuerySet[Task]:
    return _listed(Task.objects.filter(state=TaskState.OPEN))


def mine(user: Any) -> QuerySet[Task]:
    return _open().filter(assignee=user)


def in_my_queues(user: Any) -> QuerySet[Task]:
    return _open().filter(queue_filter(user))


def waiting_on_others(user: Any) -> QuerySet[Task]:
    """Open tasks of runs this person asked for, in someone else's hands (tasks in the
    person's own queues are theirs to take, and show there instead)."""
    return (
        _open()
        .filter(run__requested_by=user, run__state=RunState.RUNNING)
        .exclude(assignee=user)
        .exclude(queue_filter(user))
    )


@dataclass
class Inbox:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    queue: list[Task]
    waiting: list[Task]
    queue_count: int
    upcoming_count: int
    waiting_count: int


def my_work(user: Any, *, now: datetime | None = None, limit: int = 50) -> Inbox:
    """The person's inbox; each list holds at most `limit` tasks, soonest due first."""
    now = now or timezone.now()
    tonight = end_of_today(now)
    own = mine(user).order_by("due_at", "id")
    upcoming = own.filter(Q(due_at__gte=tonight) | Q(due_at__isnull=True))
    queue = in_my_queues(user).order_by("due_at", "id")
    waiting = waiting_on_others(user).order_by("due_at", "id")
    return Inbox(
        overdue=list(own.filter(due_at__lt=now)[:limit]),
        today=list(own.filter(due_at__gte=now, due_at__lt=tonight)[:limit]),
        upcoming=list(upcoming[:limit]),
        queue=list(queue[:limit]),
        waiting=list(waiting[:limit]),
        queue_count=queue.count(),
        upcoming_count=upcoming.count(),
        waiting_count=waiting.count(),
    )


def work_counts(user: Any, *, now: datetime | None = None) -> dict[str, int]:
    """For the navigation: my tasks due by tonight (overdue included), and my queues' tasks."""
    now = now or timezone.now()
    due = Task.objects.filter(
        assignee=user, state=TaskState.OPEN, due_at__lt=end_of_today(now)
    ).count()
    queued = Task.objects.filter(state=TaskState.OPEN).filter(queue_filter(user)).count()
    return {"due": due, "queue": queued}


@dataclass
class TaskFilters:
    scope: str = "mine"  # mine | queue | waiting | all
    due: str = ""  # overdue | today | upcoming
    state: str = TaskState.OPEN
    client: int | None = None
    team: int | None = None


def filter_tasks(user: Any, filters: TaskFilters, *, now: datetime | None = None) -> QuerySet[Task]:
    now = now or timezone.now()
    tasks = _listed(visible_tasks(user))
    if filters.scope == "mine":
        tasks = tasks.filter(assignee=user)
    elif filters.scope == "queue":
        tasks = tasks.filter(queue_filter(user))
    elif filters.scope == "waiting":
        tasks = tasks.filter(run__requested_by=user).exclude(assignee=user)
    if filters.team is not None:
        tasks = tasks.filter(queue_team_id=filters.team)
    if filters.state:
        tasks = tasks.filter(state=filters.state)
    if filters.client is not None:
        tasks = tasks.filter(client_id=filters.client)
    tonight = end_of_today(now)
    if filters.due == "overdue":
        tasks = tasks.filter(due_at__lt=now)
    elif filters.due == "today":
        tasks = tasks.filter(due_at__gte=now, due_at__lt=tonight)
    elif filters.due == "upcoming":
        tasks = tasks.filter(Q(due_at__gte=tonight) | Q(due_at__isnull=True))
    return tasks.order_by("due_at", "id")


def runs_for_client(client: Client) -> QuerySet[Run]:
    return client.runs.select_related("version__playbook", "started_by").order_by("-started_at")


def startable_playbooks(subject: str = "client") -> QuerySet[Playbook]:
    return Playbook.objects.filter(subject=subject, is_active=True, current__isnull=False)


def client_timeline(client: Client, *, limit: int = 100) -> list[dict[str, Any]]:
    """Everything that happened to a client, newest first: process events (runs, tasks
    done and missed, approvals), messages, and record changes; at most `limit`."""
    return client_timeline_page(client, limit=limit).entries[:limit]


@dataclass
class TimelinePage:
    entries: list[dict[str, Any]]
    # Pass as `before` to read on into the past; None when nothing older is left.
    next_before: datetime | None


def client_timeline_page(
    client: Client, *, limit: int = 100, before: datetime | None = None
) -> TimelinePage:
    """One page of the client's timeline: the newest `limit` entries older than `before`.

    The three sources are merged in memory:
      1. From each source, the newest `limit + 1` entries older than `before`.
      2. Merged newest first, the page ends at its `limit`-th entry's instant.
      3. Every entry of that very instant joins the page (a page may hold a few more
         than `limit`): the next page, strictly older, neither repeats nor loses one
         of the entries several sources record in one instant.
      4. There is a next page when any source holds an entry older than that instant.
    Record changes are worked out whole (each is a diff against the row before it)
    and filtered here.
    """
    history = [e for e in _record_entries(client) if before is None or e["when"] < before]
    processes = _process_entries(client, before=before, limit=limit + 1)
    messages = _message_entries(client, before=before, limit=limit + 1)
    fetched = _newest_first([*processes, *messages, *history[: limit + 1]])
    if len(fetched) <= limit:
        return TimelinePage(fetched, None)  # every source held fewer: nothing older is left
    edge = fetched[limit - 1]["when"]
    page = [e for e in fetched if e["when"] > edge]
    # A source whose newest `limit + 1` reach past the edge holds nothing more of its
    # instant than was fetched, and holds older entries; one that returned fewer has
    # nothing left at all. Only a source cut exactly at the edge is asked again.
    page += _at_edge(processes, limit, edge, lambda: _process_entries(client, at=edge))
    page += _at_edge(messages, limit, edge, lambda: _message_entries(client, at=edge))
    page += [e for e in history if e["when"] == edge]
    older = (
        any(e["when"] < edge for e in history)
        or _holds_older(
            processes,
            limit,
            edge,
            lambda: TimelineEvent.objects.filter(client=client, at__lt=edge).exists(),
        )
        or _holds_older(
            messages,
            limit,
            edge,
            lambda: messages_for_client(client).filter(created_at__lt=edge).exists(),
        )
    )
    return TimelinePage(_newest_first(page), edge if older else None)


def _at_edge(
    fetched: list[dict[str, Any]],
    limit: int,
    edge: datetime,
    read: Callable[[], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The source's entries of the edge's instant, from those fetched when they hold all."""
    if len(fetched) <= limit or fetched[-1]["when"] < edge:
        return [e for e in fetched if e["when"] == edge]
    return read()


def _holds_older(
    fetched: list[dict[str, Any]], limit: int, edge: datetime, ask: Callable[[], bool]
) -> bool:
    """Whether the source holds an entry older than the edge, asked only when unknown."""
    return any(e["when"] < edge for e in fetched) or (len(fetched) > limit and ask())


def _newest_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda entry: entry["when"], reverse=True)


def _process_entries(
    client: Client,
    *,
    before: datetime | None = None,
    at: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    events = TimelineEvent.objects.filter(client=client).select_related(
        "actor", "run__version__playbook", "task"
    )
    if before is not None:
        events = events.filter(at__lt=before)
    if at is not None:
        events = events.filter(at=at)
    return [
        {
            "when": event.at,
            "source": "process",
            "kind": event.kind,
            "label": event.get_kind_display(),
            "summary": words.event_summary(event),
            "who": str(event.actor) if event.actor else None,
            "run": event.run_id,
            "task": event.task_id,
        }
        for event in (events[:limit] if limit is not None else events)
    ]


def _message_entries(
    client: Client,
    *,
    before: datetime | None = None,
    at: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    messages = messages_for_client(client)
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    if at is not None:
        messages = messages.filter(created_at=at)
    return [
        {
            "when": message.created_at,
            "source": "message",
            "kind": f"message_{message.state}",
            "label": f"Message {message.get_state_display().lower()}",
            "summary": message.subject or message.body_text[:120],
            "who": str(message.created_by) if message.created_by else None,
            "message": message.pk,
        }
        for message in (messages[:limit] if limit is not None else messages)
    ]


def _record_entries(client: Client) -> list[dict[str, Any]]:
    entries = []
    for change in client_history(client, limit=sys.maxsize):
        described = ", ".join(
            f"{c['field']}: {c['old_words']} -> {c['new_words']}" for c in change["changes"]
        )
        entries.append(
            {
                "when": change["when"],
                "source": "record",
                "kind": f"record_{change['kind']}",
                "label": f"{change['what']} {change['kind']}",
                "summary": f"{change['object']}" + (f" ({described})" if described else ""),
                "who": str(change["who"]) if change["who"] else None,
            }
        )
    return entries
