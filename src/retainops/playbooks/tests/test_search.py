"""The header's search over open tasks gives exactly what testing every open task's title
and client name with ``icontains`` gives, in the same order (NULL due times where each
database puts them), for titles, client names, both, short texts and none; and its
query count does not grow with the tasks that match."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from retainops.clients.testing import ClientFactory
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.playbooks import services
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Playbook, Task
from retainops.playbooks.queries import visible_tasks
from retainops.playbooks.search import OPEN_STATES, find_tasks, matching_titles

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STEPS = """
  - key: call
    title: Call the client
    owner: role:account_manager
    due: 1 day after start
  - key: pack
    title: Send the Maple welcome pack
    owner: role:account_manager
    due: 2 days after start
  - key: cap
    title: Review 100% of the spend_cap
    owner: role:account_manager
  - key: cafe
    title: Café visit
    owner: role:account_manager
    due: 3 days after start
"""
FIRST = f"""
key: search-tasks
name: Search tasks
subject: client
trigger: manual
anchors: [start]
steps:{STEPS}"""
# A later version renames a step: runs of either version keep their own titles.
SECOND = FIRST.replace("title: Call the client", "title: Call the client back")
CLIENTS = ("Maple Dental", "Oak Call Centre", "Birch Bakery", "Maplewood Café", "Elm Legal")
TEXTS = (
    "call",
    "CALL",
    "maple",
    "MAPLE",
    "ma",
    "ca",
    "ap",
    "back",
    "café",
    "CAFÉ",
    "100%",
    "_cap",
    "% of",
    "welcome pack",
    "zebra",
    "Maplewood Café",
)


def icontains_everywhere(user, text, limit):
    """The rule the search keeps: every open task's title and client name tested."""
    tasks = (
        visible_tasks(user)
        .filter(state__in=OPEN_STATES)
        .filter(Q(title__icontains=text) | Q(client__name__icontains=text))
        .order_by("due_at", "id")[:limit]
    )
    return [reverse("playbooks:task", args=[pk]) for pk in tasks.values_list("pk", flat=True)]


def found(user, text, limit):
    return [hit.url for hit in find_tasks(user, text, limit)]


def _tasks(urls):
    return [Task.objects.get(pk=resolve(url).kwargs["pk"]) for url in urls]


def _start_runs(by, clients, runs_each):
    playbook = Playbook.objects.get(key="search-tasks")
    for n in range(runs_each):
        for client in clients:
            services.start_run(
                by=by,
                playbook=playbook,
                subject_id=client.pk,
                anchors={"start": NOW + timedelta(days=n % 3)},
            )


def _shuffle_states_and_due_times(seed):
    """Open, waiting and closed tasks, NULL due times and ties, in no particular order."""
    rng = random.Random(seed)
    states = [*OPEN_STATES, TaskState.DONE, TaskState.SKIPPED, TaskState.CANCELLED]
    for pk in Task.objects.values_list("pk", flat=True):
        due = rng.choice([None, NOW, NOW + timedelta(hours=rng.randrange(48))])
        # `update` writes the state the engine would move step by step; titles stay.
        Task.objects.filter(pk=pk).update(state=rng.choice(states), due_at=due)


@pytest.fixture
def world():
    north, south = (
        BusinessUnitFactory.create(code="north"),
        BusinessUnitFactory.create(code="south"),
    )
    amy = UserFactory.create(username="amy", roles=["account_manager"], units=[north])
    ops = UserFactory.create(username="ops", roles=["operations_lead"], units=[north, south])
    everyone = UserFactory.create(username="admin", roles=["administrator"], units=[north])
    clients = [
        ClientFactory.create(name=name, business_unit=north if n % 4 else south)
        for n, name in enumerate(CLIENTS)
    ]
    services.publish_playbook(by=ops, source=FIRST)
    _start_runs(ops, clients, 2)
    services.publish_playbook(by=ops, source=SECOND)
    _start_runs(ops, clients, 2)
    _shuffle_states_and_due_times(seed=7)
    return {"amy": amy, "ops": ops, "everyone": everyone, "clients": clients}


@pytest.mark.parametrize("limit", [1, 3, 9, 200])
def test_the_same_tasks_in_the_same_order_as_testing_every_task(world, limit):
    for user in (world["amy"], world["ops"], world["everyone"]):
        for text in TEXTS:
            expected = icontains_everywhere(user, text, limit)
            assert found(user, text, limit) == expected, (user.username, text)


def test_titles_names_both_and_none_are_each_found(world):
    ops = world["ops"]
    assert {t.title for t in _tasks(found(ops, "pack", 200))} == {"Send the Maple welcome pack"}
    by_name = found(ops, "Oak Call", 200)
    assert by_name
    assert {t.client.name for t in _tasks(by_name)} == {"Oak Call Centre"}
    both = found(ops, "call", 200)
    assert set(by_name) < set(both)
    assert len(both) > len(by_name)
    assert found(ops, "zebra", 200) == []


def test_titles_are_tested_by_the_databases_own_icontains(world):
    assert matching_titles("%", using="default") == ["Review 100% of the spend_cap"]
    assert matching_titles("_c", using="default") == ["Review 100% of the spend_cap"]
    assert set(matching_titles("CALL THE", using="default")) == {
        "Call the client",
        "Call the client back",
    }
    # SQLite's LIKE folds ASCII letters only; PostgreSQL's UPPER folds É too.
    folds_accents = connection.vendor == "postgresql"
    assert matching_titles("CAFÉ", using="default") == (["Café visit"] if folds_accents else [])


def test_short_texts_match_as_before(world):
    # Under three characters the client name index has no trigram to use.
    for text in ("ma", "Ca", "é", "e"):
        expected = icontains_everywhere(world["ops"], text, 9)
        assert expected
        assert found(world["ops"], text, 9) == expected


def test_the_query_count_does_not_grow_with_the_matching_tasks(world):
    def queries(text):
        with CaptureQueriesContext(connection) as captured:
            hits = find_tasks(world["ops"], text, 200)
        return len(captured), len(hits)

    few_queries, few = queries("Elm Legal")
    many_queries, many = queries("a")
    assert 0 < few < many
    assert few_queries == many_queries
    assert queries("zebra")[0] == few_queries
