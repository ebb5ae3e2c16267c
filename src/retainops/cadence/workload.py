"""The team's workload ahead: per person and per day for the next weeks, the tasks
already due, the occurrences the contact plans will bring, and the due times of the
waiting steps of running playbooks, against a daily capacity.

Steps of `workload`:
  1. The people: the active staff of the units the viewer sees (or of one unit).
  2. Open tasks assigned to them due before the end (overdue ones count today).
  3. Open occurrences assigned to them due before the end (overdue ones count today).
  4. Waiting steps of running runs with a known due time, given to the person the step's
     owner names (a role on the client's team, or a named person).
  5. Each day's count against the capacity (the CADENCE_DAILY_CAPACITY setting).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from retainops.cadence.choices import OccurrenceState
from retainops.cadence.models import Occurrence
from retainops.clients.models import ClientTeamMember
from retainops.core.access import sees_all_units
from retainops.core.models import User
from retainops.playbooks.choices import RunState, TaskState
from retainops.playbooks.models import Task

WEEKS_AHEAD = 4


@dataclass
class Day:
    """One person's work on one day, by where it comes from."""

    day: date
    tasks: int = 0
    occurrences: int = 0
    steps: int = 0
    capacity: int = 0

    @property
    def total(self) -> int:
        return self.tasks + self.occurrences + self.steps

    @property
    def over(self) -> bool:
        return self.total > self.capacity


@dataclass
class PersonLoad:
    person: User
    days: list[Day] = field(default_factory=list)

    @property
    def over_days(self) -> int:
        return sum(day.over for day in self.days)

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)


@dataclass
class WorkItem:
    """One piece of work on a person's day, with what a reassignment needs."""

    kind: str  # task, occurrence or step
    id: int
    title: str
    client: str
    due_at: datetime


def people(viewer: Any, unit_id: int | None = None) -> list[User]:
    found = User.objects.filter(is_active=True)
    if unit_id is not None:
        found = found.filter(business_units__id=unit_id)
    if not sees_all_units(viewer):
        found = found.filter(business_units__id__in=viewer.unit_ids())
    return list(found.distinct().order_by("username"))


def _day_of(moment: datetime, today: date) -> date:
    return max(timezone.localtime(moment).date(), today)


def _tasks(ids: list[int], end: datetime) -> Any:
    return Task.objects.filter(assignee_id__in=ids, state=TaskState.OPEN, due_at__lt=end)


def _occurrences(ids: list[int], end: datetime) -> Any:
    return Occurrence.objects.filter(
        assignee_id__in=ids,
        state__in=[OccurrenceState.PLANNED, OccurrenceState.MOVED],
        due_at__lt=end,
    )


def _waiting_steps(ids: set[int], start: datetime, end: datetime) -> list[tuple[int, Task]]:
    """(person id, task) for the waiting steps whose owner will be one of `ids`."""
    waiting = Task.objects.filter(
        state=TaskState.WAITING,
        run__state=RunState.RUNNING,
        due_at__gte=start,
        due_at__lt=end,
    ).select_related("run__version", "client")
    holders: dict[tuple[int, str], int] = {
        (m.client_id, m.role.code): m.user_id
        for m in ClientTeamMember.objects.filter(user_id__in=ids).select_related("role")
    }
    by_name = dict(User.objects.filter(pk__in=ids).values_list("username", "id"))
    found = []
    for task in waiting:
        person = task.assignee_id or _step_owner(task, holders, by_name)
        if person in ids:
            found.append((person, task))
    return found


def _step_owner(task: Task, holders: dict[tuple[int, str], int], by_name: dict) -> int | None:
    owner = task.step.owner or ""
    kind, _, value = owner.partition(":")
    if kind == "role":
        return holders.get((task.client_id, value))
    if kind == "user":
        return by_name.get(value)
    return None


def workload(
    viewer: Any, *, unit_id: int | None = None, now: datetime | None = None
) -> list[PersonLoad]:
    """Every person the viewer sees, with their next four weeks day by day."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    days = [today + timedelta(days=i) for i in range(WEEKS_AHEAD * 7)]
    end = timezone.make_aware(datetime.combine(days[-1] + timedelta(days=1), datetime.min.time()))
    staff = people(viewer, unit_id)
    ids = [p.pk for p in staff]
    counts: dict[tuple[int, date], Day] = {}
    capacity = settings.CADENCE_DAILY_CAPACITY

    def cell(person: int, moment: datetime) -> Day:
        key = (person, _day_of(moment, today))
        return counts.setdefault(key, Day(day=key[1], capacity=capacity))

    for person, due in _tasks(ids, end).values_list("assignee_id", "due_at"):
        cell(person, due).tasks += 1
    for person, due in _occurrences(ids, end).values_list("assignee_id", "due_at"):
        cell(person, due).occurrences += 1
    for person, task in _waiting_steps(set(ids), now, end):
        assert task.due_at is not None
        cell(person, task.due_at).steps += 1
    return [
        PersonLoad(
            person=p,
            days=[counts.get((p.pk, d)) or Day(day=d, capacity=capacity) for d in days],
        )
        for p in staff
    ]


def work_on(person: User, day: date, *, now: datetime | None = None) -> list[WorkItem]:
    """What one person has on one day (overdue work counts on today), for reassigning."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = start + timedelta(days=1)
    items: list[WorkItem] = []
    rows: dict[str, Any] = defaultdict(list)
    rows["task"] = _tasks([person.pk], end).select_related("client")
    rows["occurrence"] = _occurrences([person.pk], end).select_related("client", "item__kind")
    for kind, found in rows.items():
        for row in found:
            if _day_of(row.due_at, today) != day:
                continue
            title = row.title if kind == "task" else row.item.kind.label
            items.append(WorkItem(kind, row.pk, title, row.client.name, row.due_at))
    for _person, task in _waiting_steps({person.pk}, max(start, now), end):
        assert task.due_at is not None
        items.append(WorkItem("step", task.pk, task.title, task.client.name, task.due_at))
    return sorted(items, key=lambda item: (item.due_at, item.kind, item.id))
