"""The sweep fires its batch in sets: the queries of a pass do not grow with the number
of reminders and escalations in it, and what it writes is what firing each timer alone
writes (messages, recipients, the bell's copies, the timeline, the tasks, the outcomes)."""

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.home.models import Notification
from retainops.messaging.models import Message
from retainops.messaging.tests.conftest import START
from retainops.playbooks import services, timers
from retainops.playbooks.models import PlaybookVersion, Task, TimelineEvent, Timer
from retainops.playbooks.services import publish_playbook
from retainops.playbooks.timer_batch import TimerBatch

Publish = Callable[[str], PlaybookVersion]

# Per client, at 24 hours: the call's reminder (22 h) and escalation (24 h), the notes'
# reminder (23 h) to the sales reps' queue (no client team has one) and their miss
# (24 h, recorded: no escalation). CHASE_AND_WAIT
# adds a wait due at 23 h, whose end opens a review.
CHASE = """
key: chase
name: Chase the client
anchors: [sold]
steps:
  - key: call
    title: Call the client
    owner: role:account_manager
    due: 24 hours after sold
    remind: [2 hours]
    escalate:
      - after: 0 hours
        to: role:team_lead
        reassign: true
  - key: notes
    title: Write the notes
    owner: role:sales_rep
    due: 24 hours after sold
    remind: [1 hour]
"""
CHASE_AND_WAIT = (
    CHASE
    + """
  - key: settle
    title: Let it settle
    kind: wait
    due: 23 hours after sold
  - key: review
    title: Review the call
    owner: role:account_manager
    needs: [settle]
    due: 2 hours after settle
    remind: [1 hour]
"""
)
NOW = START + timedelta(hours=24)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def publish(north: BusinessUnit) -> Publish:
    ops_lead = UserFactory.create(roles=["operations_lead"], units=[north])
    return lambda source: publish_playbook(by=ops_lead, source=source)


@pytest.fixture
def people(north: BusinessUnit, account_manager: User) -> dict[str, User]:
    return {
        "account_manager": account_manager,
        "team_lead": UserFactory.create(username="tess_lead", roles=["team_lead"], units=[north]),
        "sales_rep": UserFactory.create(username="sol_sales", roles=["sales_rep"], units=[north]),
    }


def add_clients(
    version: PlaybookVersion, north: BusinessUnit, people: dict[str, User], count: int
) -> list[Client]:
    """`count` clients, each with its account manager, team lead and a contact, each with a
    run of `version` sold at START."""
    clients = []
    for _ in range(count):
        client = ClientFactory.create(business_unit=north)
        for code in ("account_manager", "team_lead"):
            role = Role.objects.get(code=code)
            ClientTeamMember.objects.create(client=client, role=role, user=people[code])
        ContactFactory.create(client=client)
        services.start_run(
            by=people["account_manager"],
            playbook=version.playbook,
            subject_id=client.pk,
            anchors={"sold": START},
        )
        clients.append(client)
    return clients


def queries_of_one_pass() -> tuple[int, int]:
    """Queries of one pass firing everything due at NOW in one batch, rolled back."""
    with transaction.atomic():
        due = Timer.objects.due(NOW).count()
        with CaptureQueriesContext(connection) as queries:
            report = timers.fire_due(now=NOW, limit=100)
        assert (report.fired, report.failed) == (due, 0)
        transaction.set_rollback(True)
    return due, len(queries.captured_queries)


def test_the_queries_of_a_pass_do_not_grow_with_its_reminders_and_escalations(
    publish: Publish, north: BusinessUnit, people: dict[str, User], clock: time_machine.Traveller
):
    version = publish(CHASE)
    add_clients(version, north, people, 2)
    clock.move_to(NOW)
    few, few_queries = queries_of_one_pass()
    clock.move_to(START)
    add_clients(version, north, people, 5)
    clock.move_to(NOW)
    many, many_queries = queries_of_one_pass()

    assert (few, many) == (8, 28)
    assert Message.objects.count() == 0  # both passes were rolled back
    assert many_queries == few_queries, (few_queries, many_queries)


def written() -> dict[str, Any]:
    """What the sweep wrote, with message ids as their order of writing."""
    messages = list(Message.objects.order_by("id").prefetch_related("recipients"))
    number = {m.pk: n for n, m in enumerate(messages)}

    def by_number(text: str) -> str:
        return re.sub(r"message (\d+)", lambda found: f"message #{number[int(found[1])]}", text)

    return {
        "messages": [
            (
                m.subject,
                m.body_text,
                m.body_html,
                m.cause,
                m.channel,
                m.client_id,
                m.run_id,
                [(r.address, r.name, r.source) for r in m.recipients.all()],
            )
            for m in messages
        ],
        "copies": [
            (n.user_id, n.kind, n.title, n.url, n.message_id and number[n.message_id])
            for n in Notification.objects.order_by("id")
        ],
        "timeline": [
            (e.client_id, e.kind, e.summary, e.run_id, e.task_id)
            for e in TimelineEvent.objects.order_by("id")
        ],
        "tasks": list(
            Task.objects.order_by("id").values_list(
                "id", "state", "escalated_at", "assignee", "queue_role", "note"
            )
        ),
        # By task, not id: the engine arms new timers, and PostgreSQL's sequences do not
        # go back when a sweep is rolled back.
        "timers": [
            (t.task_id, t.kind, t.slot, t.due_at, t.fired_at, by_number(t.outcome), t.dropped_at)
            for t in Timer.objects.order_by("task_id", "kind", "slot", "due_at")
        ],
    }


def sweep_and_undo(sweep: Callable[[], Any]) -> dict[str, Any]:
    with transaction.atomic():
        sweep()
        found = written()
        transaction.set_rollback(True)
    return found


def one_at_a_time() -> None:
    while timers.fire_due(now=NOW, limit=1).handled:
        pass


def test_a_batch_writes_what_firing_each_timer_alone_writes(
    publish: Publish,
    north: BusinessUnit,
    people: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
):
    version = publish(CHASE_AND_WAIT)
    add_clients(version, north, people, 4)
    people["team_lead"].email = ""  # an escalation with no one to tell, among the others
    people["team_lead"].save()
    clock.move_to(NOW)

    in_sets = sweep_and_undo(lambda: timers.fire_all_due(now=NOW))
    alone = sweep_and_undo(one_at_a_time)

    real_flush = TimerBatch.flush

    def flush_or_fail(batch: TimerBatch) -> None:
        if len(batch.timers) > 1:
            raise RuntimeError("the set's insert failed")
        real_flush(batch)

    monkeypatch.setattr(TimerBatch, "flush", flush_or_fail)
    fallen_back = sweep_and_undo(lambda: timers.fire_all_due(now=NOW))

    # 4 clients, 20 timers, one batch: the call's reminder, its escalation (no one to
    # tell, but reassigned), the notes' reminder to the queue and their miss, the wait's
    # end (its review opens, to the account manager).
    assert len(in_sets["messages"]) == 8
    outcomes = [outcome for *_t, outcome, _dropped in in_sets["timers"]]
    assert sum("reassigned to" in outcome for outcome in outcomes) == 4
    assert sum(outcome == "wait ended" for outcome in outcomes) == 4
    assert in_sets == alone
    assert fallen_back == alone
