"""Open tasks in the header's search, by their title or their client's name.

The rule is ``title icontains text OR client name icontains text``, among the open and
waiting tasks the person may see, first due first, at most `limit`. Tested row by row
over every open task, it reads hundreds of thousands of rows at agency scale; this
module finds the same tasks through indexes instead:

* By title: a task's title is its step's title, copied from the definition of the
  run's playbook version (`engine.start_run`), so the titles that can match are the
  few distinct step titles of the published versions. The database tests those against
  the text (its own ``icontains``, so the very same rule as before), and each matching
  title gives, per state, its first `limit` tasks from `task_title_idx`.
* By client name: the tasks of the clients whose name matches, found by the clients'
  name index (`clients.matching`), their first `limit`.

Each of these sets is in due order, so the first `limit` of their union, in that order,
are the first `limit` of all the matching tasks: the final query orders those few.
"""

from functools import lru_cache
from typing import Any

from django.db import connections
from django.db.models import CharField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IContains
from django.urls import reverse

from retainops.clients.matching import name_contains
from retainops.clients.models import Client
from retainops.core.search import Hit, register_search
from retainops.playbooks.choices import TaskState
from retainops.playbooks.definition import definition_from_json
from retainops.playbooks.models import PlaybookVersion, Task
from retainops.playbooks.queries import visible_tasks

# Done and skipped tasks are history: the client's timeline shows them.
OPEN_STATES = (TaskState.WAITING, TaskState.OPEN)
ORDER = ("due_at", "id")


def find_tasks(user: Any, text: str, limit: int) -> list[Hit]:
    tasks = (
        visible_tasks(user)
        .filter(pk__in=_candidates(user, text, limit))
        .select_related("client", "assignee")
        .order_by(*ORDER)[:limit]
    )
    return [
        Hit(
            t.title,
            reverse("playbooks:task", args=[t.pk]),
            " · ".join(
                part
                for part in (
                    t.client.name,
                    t.get_state_display(),
                    f"due {t.due_at:%Y-%m-%d}" if t.due_at else "",
                    str(t.assignee) if t.assignee else "",
                )
                if part
            ),
        )
        for t in tasks
    ]


def _candidates(user: Any, text: str, limit: int) -> RawSQL:
    """The ids of the first `limit` matching tasks of each indexed set, as one subquery."""
    visible = visible_tasks(user).order_by(*ORDER).values("pk")
    by_client = visible.filter(
        state__in=OPEN_STATES,
        client__in=Client.objects.filter(name_contains(text, using=visible.db)),
    )
    # One set per title and state: in `task_title_idx` each is a range already in due order.
    by_title = [
        visible.filter(title=title, state=state)
        for title in matching_titles(text, using=visible.db)
        for state in OPEN_STATES
    ]
    return _union_all([qs[:limit] for qs in (by_client, *by_title)])


def _union_all(parts: list[QuerySet[Any]]) -> RawSQL:
    # Each part (one column, the id) keeps its own ORDER BY and LIMIT inside a derived
    # table: SQLite allows neither on a bare member of a UNION, and Django's union()
    # refuses them there.
    sqls, params = [], []
    for n, part in enumerate(parts):
        sql, part_params = part.query.get_compiler(using=part.db).as_sql()
        sqls.append(f"SELECT * FROM ({sql}) AS part_{n}")
        params.extend(part_params)
    return RawSQL(" UNION ALL ".join(sqls), params)


def matching_titles(text: str, *, using: str) -> list[str]:
    """The step titles of any published version that contain `text`, by the database's
    own ``icontains`` (case folding differs between databases: SQLite folds ASCII only)."""
    titles = sorted(
        {
            title
            for source in PlaybookVersion.objects.using(using).values_list(
                "definition_json", flat=True
            )
            for title in _step_titles(source)
        }
    )
    if not titles:
        return []
    connection = connections[using]
    compiler = Task.objects.using(using).none().query.get_compiler(using=using)
    test, test_params = IContains(RawSQL("title", (), output_field=CharField()), text).as_sql(
        compiler, connection
    )
    rows = ", ".join(["(%s)"] * len(titles))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH step(title) AS (VALUES {rows}) SELECT title FROM step WHERE {test}",
            [*titles, *test_params],
        )
        return [title for (title,) in cursor.fetchall()]


@lru_cache(maxsize=256)
def _step_titles(definition_json: str) -> frozenset[str]:
    # A version is never edited, so its stored definition maps to the same titles for good.
    return frozenset(step.title for step in definition_from_json(definition_json).steps)


def register() -> None:
    register_search("tasks", "Tasks", 50, find_tasks)
