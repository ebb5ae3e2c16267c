"""The one compare-and-set: a row moves along a declared transition once, only from one
of its sources, only when its conditions hold, and only for a person it permits.

Core declares no state machine of its own, so these tests move an outbox message: its
transitions have a condition (`retry_later`: attempts left) and a permission
(`retry_by_hand`: whoever manages the outbox).
"""

import threading
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connection
from django.db.models import F

from retainops.core.models import User
from retainops.core.testing import UserFactory
from retainops.core.transitions import declared, move, move_rows
from retainops.messaging.choices import MessageState
from retainops.messaging.models import Message


@pytest.fixture
def outbox_keeper(db: None) -> User:
    """An operations lead: manages the outbox."""
    return UserFactory.create(username="otto_ops", roles=["operations_lead"])


def a_message(state: str = MessageState.FAILED, **fields: Any) -> Message:
    return Message.objects.create(channel="email", body_text="Hello", state=state, **fields)


def state_in_database(message: Message) -> str:
    return str(Message.objects.values_list("state", flat=True).get(pk=message.pk))


def test_the_declaration_gives_the_sources_and_the_target():
    claim = declared(Message, "claim")

    assert claim.sources == (MessageState.QUEUED, MessageState.SENDING)
    assert claim.target == MessageState.SENDING


def test_a_name_that_is_no_declared_transition_is_refused():
    with pytest.raises(ImproperlyConfigured, match="not a declared transition"):
        declared(Message, "delivery_id")


def test_of_two_copies_of_one_row_only_the_first_moves_it(outbox_keeper):
    first = a_message(last_error="refused")
    second = Message.objects.get(pk=first.pk)

    assert move(first, "retry_by_hand", by=outbox_keeper, attempts=0)
    assert not move(second, "retry_by_hand", by=outbox_keeper, attempts=0)

    assert first.state == MessageState.QUEUED
    assert second.state == MessageState.FAILED  # the loser's copy is left as it was
    assert state_in_database(first) == MessageState.QUEUED


@pytest.mark.django_db(transaction=True)
def test_two_movers_on_two_connections_at_the_same_moment_move_the_row_once():
    message = a_message(MessageState.SENDING)
    barrier = threading.Barrier(2)
    moved: dict[str, bool] = {}

    def give_up(worker: str) -> None:
        copy = Message.objects.get(pk=message.pk)
        barrier.wait()
        try:
            moved[worker] = move(copy, "give_up", last_error=f"given up by {worker}")
        finally:
            connection.close()

    threads = [threading.Thread(target=give_up, args=(w,)) for w in ("worker-1", "worker-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(moved.values()) == [False, True]
    (winner,) = [worker for worker, won in moved.items() if won]
    message.refresh_from_db()
    assert (message.state, message.last_error) == (MessageState.FAILED, f"given up by {winner}")


def test_a_condition_that_fails_moves_nothing(db):
    worn_out = a_message(MessageState.SENDING, attempts=8, max_attempts=8)

    assert not move(worn_out, "retry_later", last_error="again")

    worn_out.refresh_from_db()
    assert (worn_out.state, worn_out.last_error) == (MessageState.SENDING, "")


def test_a_row_in_no_source_state_moves_nothing(db):
    queued = a_message(MessageState.QUEUED)

    assert not move(queued, "mark_sent", last_error="")

    assert queued.state == MessageState.QUEUED
    assert state_in_database(queued) == MessageState.QUEUED


def test_a_person_the_permission_refuses_moves_nothing(account_manager):
    failed = a_message()

    with pytest.raises(PermissionDenied):
        move(failed, "retry_by_hand", by=account_manager, attempts=0)

    assert state_in_database(failed) == MessageState.FAILED


def test_an_extra_guard_that_no_longer_holds_moves_nothing(db):
    taken_over = a_message(MessageState.SENDING, claimed_by="worker-2")

    assert not move(taken_over, "mark_sent", guard={"claimed_by": "worker-1"})
    assert move(taken_over, "mark_sent", guard={"claimed_by": "worker-2"})

    assert state_in_database(taken_over) == MessageState.SENT


def test_the_moved_instance_carries_the_fields_written_with_it(outbox_keeper):
    failed = a_message(attempts=3, last_error="refused")

    assert move(
        failed, "retry_by_hand", by=outbox_keeper, attempts=F("attempts") - 3, last_error=""
    )

    assert (failed.state, failed.attempts, failed.last_error) == (MessageState.QUEUED, 0, "")
    failed.refresh_from_db()  # a protected state field still reloads
    assert failed.state == MessageState.QUEUED


def test_a_batch_move_counts_the_rows_it_moved(db):
    queued, sending, sent = (
        a_message(MessageState.QUEUED),
        a_message(MessageState.SENDING),
        a_message(MessageState.SENT),
    )
    rows = Message.objects.filter(pk__in=[queued.pk, sending.pk, sent.pk])

    assert move_rows(rows, "claim", claimed_by="worker-1") == 2

    assert state_in_database(sent) == MessageState.SENT


def test_a_batch_move_refuses_a_transition_that_needs_a_row_to_judge(db):
    with pytest.raises(ImproperlyConfigured, match="row by row"):
        move_rows(Message.objects.all(), "retry_by_hand")
