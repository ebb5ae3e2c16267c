"""Delivery when peers fail: retries on the clock, giving up, crashes, concurrent workers.

The clock is moved (time-machine, `now=`, `tick --at`); nothing sleeps to let
time pass. The process tests run real `retainops worker` processes against
the test database, which is why they use committed (transactional) data.
"""

import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from pytest_django import Settings
from standardwebhooks import Webhook

from retainops.messaging.choices import Channel, MessageState
from retainops.messaging.delivery import (
    backoff,
    claim_due,
    deliver_claimed,
    due_for_claim,
    process_due,
    renew_claim,
)
from retainops.messaging.models import Message, MessageRecipient, WebhookEndpoint
from retainops.messaging.services import Outgoing, queue_message
from retainops.messaging.testing import (
    HttpPeer,
    SmtpPeer,
    database_url,
    process_env,
    run_tick,
    start_worker,
    wait_until,
)

from .conftest import START

QueueEmails = Callable[..., list[Message]]


def _tick(at: datetime | None = None) -> str:
    """`retainops tick [--at]` in this process (so it sees the test database and clock)."""
    output = StringIO()
    if at is None:
        call_command("tick", stdout=output)
    else:
        call_command("tick", "--at", at.isoformat(), stdout=output)
    return output.getvalue().strip()


def _states(messages: list[Message]) -> list[tuple[str, int]]:
    rows = Message.objects.filter(pk__in=[m.pk for m in messages]).order_by("pk")
    return list(rows.values_list("state", "attempts"))


def _lease() -> timedelta:
    return timedelta(seconds=settings.MESSAGE_CLAIM_LEASE_SECONDS)


def test_smtp_down_keeps_messages_queued_until_it_is_back_then_sends_each_once(
    smtp: SmtpPeer, queue_emails: QueueEmails, clock: time_machine.Traveller
):
    smtp.stop()
    messages = queue_emails(5)

    assert _tick() == "messages: 0 sent, 5 to retry, 0 failed"

    retry_at = START + backoff(1)
    for message in Message.objects.all():
        assert (message.state, message.attempts) == (MessageState.QUEUED, 1)
        assert message.next_attempt_at == retry_at
        assert "ConnectionRefusedError" in message.last_error
    assert smtp.count() == 0

    smtp.start()
    clock.move_to(retry_at - timedelta(seconds=1))
    assert _tick() == "messages: 0 sent, 0 to retry, 0 failed"
    assert smtp.count() == 0

    clock.move_to(retry_at)
    assert _tick() == "messages: 5 sent, 0 to retry, 0 failed"
    assert _tick(retry_at + timedelta(hours=1)) == "messages: 0 sent, 0 to retry, 0 failed"
    assert smtp.message_ids() == {m.message_id: 1 for m in messages}
    assert _states(messages) == [(MessageState.SENT, 2)] * 5


def test_backoff_doubles_from_the_base_and_is_capped():
    base = settings.MESSAGE_RETRY_BASE_SECONDS
    delays = [backoff(n).total_seconds() for n in (1, 2, 3, 4)]
    assert delays == [base, 2 * base, 4 * base, 8 * base]
    assert backoff(40) == timedelta(hours=6)


def test_a_transient_smtp_refusal_gives_up_after_max_attempts_with_the_reason(
    smtp: SmtpPeer, settings: Settings, queue_emails: QueueEmails, clock: time_machine.Traveller
):
    settings.MESSAGE_MAX_ATTEMPTS = 3
    smtp.answer(451)
    [message] = queue_emails(1)

    outcomes = []
    for attempt in (1, 2, 3):
        outcomes.append(process_due(now=timezone.now(), worker="w").retried)
        message.refresh_from_db()
        assert message.attempts == attempt
        clock.move_to(message.next_attempt_at)

    assert outcomes == [1, 1, 0]
    assert message.state == MessageState.FAILED
    assert message.last_error.startswith("SMTPDataError: (451")
    assert smtp.count() == 0
    assert process_due(now=timezone.now() + timedelta(days=1), worker="w").handled == 0


@pytest.mark.parametrize("code", [550, 554])
def test_a_permanent_smtp_refusal_fails_at_once(
    smtp: SmtpPeer, queue_emails: QueueEmails, code: int
):
    smtp.answer(code)
    [message] = queue_emails(1)

    report = process_due(now=timezone.now(), worker="w")

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.FAILED, 1)
    assert message.last_error.startswith(f"SMTP {code}:")


def test_a_message_that_breaks_the_sender_is_retried_and_the_batch_goes_on(
    smtp: SmtpPeer, queue_emails: QueueEmails, clock: time_machine.Traveller
):
    first, broken, last = queue_emails(3)
    # Stored data no validation would let in today (an older import, say).
    MessageRecipient.objects.filter(message=broken).update(address="two words@client.example")

    report = process_due(now=timezone.now(), worker="w")

    assert (report.sent, report.retried) == (2, 1)
    assert set(smtp.message_ids()) == {first.message_id, last.message_id}
    broken.refresh_from_db()
    assert (broken.state, broken.attempts) == (MessageState.QUEUED, 1)
    assert broken.next_attempt_at == START + backoff(1)
    assert broken.last_error.startswith("InvalidHeaderDefect")


def test_a_batch_of_emails_travels_over_one_smtp_session(smtp: SmtpPeer, queue_emails: QueueEmails):
    queue_emails(5)

    assert process_due(now=timezone.now(), worker="w").sent == 5

    assert (smtp.count(), smtp.sessions()) == (5, 1)


def test_after_a_refusal_the_next_message_gets_a_fresh_session(
    smtp: SmtpPeer, queue_emails: QueueEmails, clock: time_machine.Traveller
):
    smtp.answer(451)
    queue_emails(2)
    assert process_due(now=timezone.now(), worker="w").retried == 2

    smtp.answer(None)
    clock.move_to(START + backoff(1))
    assert process_due(now=timezone.now(), worker="w").sent == 2

    # Two sessions for the refused pair (each refusal closes its session), one for the rest.
    assert (smtp.count(), smtp.sessions()) == (2, 3)


def test_the_claim_query_reads_the_partial_due_index(queue_emails: QueueEmails):
    """Finding due messages must not read every message ever sent (bench/messaging.py
    measures it among a million); here a few hundred sent rows and fresh statistics."""
    history = [Message(channel="email", state="sent", body_text="old") for _ in range(500)]
    Message.objects.bulk_create(history)
    queue_emails(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE messaging_message")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # a table this small is cheaper to scan
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = due_for_claim(timezone.now()).values_list("id", flat=True)[:20].explain()

    if connection.vendor == "sqlite":
        assert "message_due_idx" in plan, plan
    else:
        # With three pending rows PostgreSQL may start from the state index instead of
        # the partial one; both read the pending rows only. Reading all would be a scan.
        assert "Seq Scan" not in plan, plan
        assert "message_due_idx" in plan or "message_state_idx" in plan, plan


# Claims that outlast their lease ---------------------------------------------------------


@pytest.mark.parametrize("second_worker", ["worker-b", "worker-a"])
def test_a_batch_outlasting_its_lease_does_not_send_what_another_worker_took_over(
    smtp: SmtpPeer, queue_emails: QueueEmails, clock: time_machine.Traveller, second_worker: str
):
    """20 sends of up to EMAIL_TIMEOUT each can outlast the lease; the worker that claims
    the rest then sends them, and the first must not send them too. Even a second worker
    of the same name (a restarted one) counts as another: the lease instant is in the token."""
    first, second, third = queue_emails(3)
    batch_a = deliver_claimed(claim_due(now=timezone.now(), worker="worker-a", limit=20))
    assert next(batch_a) == "sent"  # worker A sends the first message...
    clock.move_to(START + _lease() + timedelta(seconds=1))  # ...and the others wait too long

    report_b = process_due(now=timezone.now(), worker=second_worker)
    assert (report_b.sent, report_b.skipped) == (2, 0)
    assert list(batch_a) == ["skipped", "skipped"]

    assert smtp.message_ids() == {m.message_id: 1 for m in (first, second, third)}
    rows = Message.objects.filter(pk__in=[first.pk, second.pk, third.pk]).order_by("pk")
    assert list(rows.values_list("state", "claimed_by", "attempts", "interruptions")) == [
        (MessageState.SENT, "worker-a", 1, 0),
        (MessageState.SENT, second_worker, 2, 1),
        (MessageState.SENT, second_worker, 2, 1),
    ]


def test_renewing_before_each_send_keeps_that_message_from_a_second_worker(
    queue_emails: QueueEmails, clock: time_machine.Traveller
):
    first, second = queue_emails(2)
    claim_a = claim_due(now=timezone.now(), worker="worker-a", limit=20)
    clock.move_to(START + _lease() - timedelta(seconds=1))
    assert renew_claim(claim_a, first)  # worker A is about to send the first, late in the lease

    clock.move_to(START + _lease() + timedelta(seconds=1))
    claim_b = claim_due(now=timezone.now(), worker="worker-b", limit=20)

    assert claim_b.ids == [second.pk]
    assert not renew_claim(claim_a, second)  # A finds the second taken over and skips it
    assert renew_claim(claim_a, first)  # while the first is still A's to send
    assert not renew_claim(claim_b, first)


def test_a_lease_that_ran_out_unnoticed_stays_with_its_worker_and_nothing_goes_twice(
    smtp: SmtpPeer, queue_emails: QueueEmails, clock: time_machine.Traveller
):
    messages = queue_emails(3)
    batch_a = deliver_claimed(claim_due(now=timezone.now(), worker="worker-a", limit=20))
    assert next(batch_a) == "sent"
    clock.move_to(START + _lease() + timedelta(seconds=1))

    assert list(batch_a) == ["sent", "sent"]  # no one took them over: still A's to send
    assert process_due(now=timezone.now(), worker="worker-b").handled == 0
    assert smtp.message_ids() == {m.message_id: 1 for m in messages}
    assert _states(messages) == [(MessageState.SENT, 1)] * 3


def test_a_message_that_kills_every_worker_fails_after_max_attempts_saying_why(
    smtp: SmtpPeer, settings: Settings, queue_emails: QueueEmails, clock: time_machine.Traveller
):
    settings.MESSAGE_MAX_ATTEMPTS = 3
    [poison] = queue_emails(1)

    errors = []
    for attempt in (1, 2, 3):
        # A worker claims it and dies sending it: no outcome is ever recorded.
        claim = claim_due(now=timezone.now(), worker=f"worker-{attempt}", limit=20)
        assert claim.ids == [poison.pk]
        poison.refresh_from_db()
        assert (poison.state, poison.attempts) == (MessageState.SENDING, attempt)
        errors.append(poison.last_error)
        clock.move_to(poison.next_attempt_at)  # its lease runs out

    report = process_due(now=timezone.now(), worker="worker-4")

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    poison.refresh_from_db()
    assert (poison.state, poison.attempts, poison.interruptions) == (MessageState.FAILED, 3, 3)
    assert (
        poison.last_error == "the worker stopped while sending, 3 times; gave up after 3 attempts"
    )
    assert errors == [
        "",
        "the worker stopped while sending, 1 time",
        "the worker stopped while sending, 2 times",
    ]
    assert smtp.count() == 0
    assert process_due(now=timezone.now() + timedelta(days=1), worker="w").handled == 0


# Chat webhooks --------------------------------------------------------------------------


def _chat(webhook: WebhookEndpoint) -> Message:
    outgoing = Outgoing(
        subject="Churn risk",
        body_text="Harbor Dental paused.",
        channel=Channel.CHAT,
        webhook=webhook,
    )
    return queue_message(outgoing=outgoing, client=None, cause="test")


def test_a_webhook_answering_500_is_retried_later_with_the_same_id_then_delivered(
    receiver: HttpPeer, webhook: WebhookEndpoint, clock: time_machine.Traveller
):
    receiver.answer(500)
    message = _chat(webhook)

    assert process_due(now=timezone.now(), worker="w").retried == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.QUEUED, 1)
    assert message.next_attempt_at == START + backoff(1)
    assert message.last_error.startswith("HTTPStatusError: HTTP 500")
    assert process_due(now=START + backoff(1) - timedelta(seconds=1), worker="w").handled == 0

    receiver.answer(200)
    clock.move_to(message.next_attempt_at)
    assert process_due(now=timezone.now(), worker="w").sent == 1

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.delivery_id
    assert first.body == second.body
    assert Webhook(webhook.secret).verify(second.body, second.headers)
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (MessageState.SENT, 2, "")


def test_a_webhook_that_stalls_past_the_timeout_is_retried(
    receiver: HttpPeer,
    webhook: WebhookEndpoint,
    settings: Settings,
    clock: time_machine.Traveller,
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.stall()
    message = _chat(webhook)

    assert process_due(now=timezone.now(), worker="w").retried == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.QUEUED, 1)
    assert message.last_error.startswith("ReadTimeout")

    receiver.answer(200)
    clock.move_to(message.next_attempt_at)
    assert process_due(now=timezone.now(), worker="w").sent == 1
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("status", [429, 408, 503])
def test_a_webhook_asking_to_come_back_later_is_retried(
    receiver: HttpPeer, webhook: WebhookEndpoint, status: int, clock: time_machine.Traveller
):
    receiver.answer(status)
    message = _chat(webhook)

    report = process_due(now=timezone.now(), worker="w")

    assert (report.retried, report.failed) == (1, 0)
    message.refresh_from_db()
    assert (message.state, message.next_attempt_at) == (MessageState.QUEUED, START + backoff(1))
    assert f"HTTP {status}" in message.last_error


# Real worker processes ------------------------------------------------------------------


def _queue_committed(queue_emails: QueueEmails, count: int) -> set[str]:
    with transaction.atomic():
        return {m.message_id for m in queue_emails(count)}


def _log(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no output)"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_one_batch(
    smtp_server: SmtpPeer, queue_emails: QueueEmails, tmp_path: Path
):
    batch, total = 10, 60
    smtp_server.slow_down(0.05)  # a slow relay, so the kill lands inside a batch
    expected = _queue_committed(queue_emails, total)
    env = process_env(database_url(connection), smtp_server, WORKER_BATCH_SIZE=str(batch))
    log = tmp_path / "worker.log"

    worker = start_worker(env, log)
    try:
        reached = wait_until(lambda: smtp_server.count() >= batch + batch // 2, timeout=60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert reached, _log(log)
    assert worker.returncode == -signal.SIGKILL
    assert 0 < smtp_server.count() < total
    assert Message.objects.filter(state=MessageState.SENDING).exists(), "no claim in flight"

    # Before the lease runs out the claimed messages are not due: a tick leaves them.
    lease = timedelta(seconds=settings.MESSAGE_CLAIM_LEASE_SECONDS)
    assert run_tick(env, timezone.now().isoformat()).returncode == 0
    assert Message.objects.filter(state=MessageState.SENDING).exists()

    done = run_tick(env, (timezone.now() + lease + timedelta(seconds=1)).isoformat())
    assert done.returncode == 0, done.stderr

    received = smtp_server.message_ids()
    assert set(received) == expected
    duplicated = {uid: n for uid, n in received.items() if n > 1}
    assert all(n == 2 for n in duplicated.values()), duplicated
    assert len(duplicated) <= batch
    assert sorted(set(Message.objects.values_list("state", flat=True))) == [MessageState.SENT]


@pytest.mark.django_db(transaction=True)
def test_two_workers_over_one_outbox_deliver_each_message_exactly_once(
    smtp_server: SmtpPeer, queue_emails: QueueEmails, tmp_path: Path
):
    """PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: IMMEDIATE transactions serialise claims."""
    total = 200
    smtp_server.slow_down(0.002)
    env = process_env(
        database_url(connection), smtp_server, WORKER_BATCH_SIZE="10", PYTHONUNBUFFERED="1"
    )
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    workers = [start_worker(env, log) for log in logs]
    try:
        started = wait_until(lambda: all("started" in _log(p) for p in logs), timeout=60)
        assert started, [_log(p) for p in logs]
        expected = _queue_committed(queue_emails, total)
        sent = Message.objects.filter(state=MessageState.SENT)
        finished = wait_until(lambda: sent.count() == total, timeout=120, interval=0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30) for worker in workers]
    assert finished, [_log(p) for p in logs]
    assert codes == [0, 0], [_log(p) for p in logs]

    received = smtp_server.message_ids()
    assert set(received) == expected
    assert set(received.values()) == {1}
    claimers = set(Message.objects.values_list("claimed_by", flat=True))
    assert len(claimers) == 2, "both workers should have delivered part of the outbox"


def _queue_chats_committed(webhook: WebhookEndpoint, count: int) -> set[str]:
    with transaction.atomic():
        return {_chat(webhook).delivery_id for _ in range(count)}


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_of_webhooks_loses_nothing_and_repeats_only_by_id(
    receiver: HttpPeer, webhook: WebhookEndpoint, tmp_path: Path
):
    batch, total = 10, 60
    receiver.slow_down(0.05)  # a slow chat service, so the kill lands inside a batch
    expected = _queue_chats_committed(webhook, total)
    env = process_env(database_url(connection), None, WORKER_BATCH_SIZE=str(batch))
    log = tmp_path / "worker.log"

    worker = start_worker(env, log)
    try:
        reached = wait_until(lambda: receiver.count() >= batch + batch // 2, timeout=60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert reached, _log(log)
    assert worker.returncode == -signal.SIGKILL
    assert 0 < receiver.count() < total
    sending = Message.objects.filter(state=MessageState.SENDING)
    in_flight = set(sending.values_list("pk", flat=True))
    assert in_flight, "no claim in flight"

    # Before the lease runs out the claimed messages are not due: a tick leaves them.
    assert run_tick(env, timezone.now().isoformat()).returncode == 0
    assert set(sending.values_list("pk", flat=True)) == in_flight

    done = run_tick(env, (timezone.now() + _lease() + timedelta(seconds=1)).isoformat())
    assert done.returncode == 0, done.stderr

    received = receiver.webhook_ids()
    assert set(received) == expected
    # Only the one message on the wire at the kill can arrive twice.
    duplicated = {uid: n for uid, n in received.items() if n > 1}
    assert len(duplicated) <= 1 and all(n == 2 for n in duplicated.values()), duplicated
    # Each request is signed, and a repeat is the same body under the same webhook-id,
    # so the receiver can drop it.
    signer, bodies = Webhook(webhook.secret), dict[str, bytes]()
    for request in receiver.requests:
        assert signer.verify(request.body, request.headers)["username"] == "RetainOps"
        assert bodies.setdefault(request.header("webhook-id"), request.body) == request.body
    assert sorted(set(Message.objects.values_list("state", flat=True))) == [MessageState.SENT]
    # What the killed worker held counts as one interrupted attempt each.
    interrupted = Message.objects.filter(interruptions=1)
    assert set(interrupted.values_list("pk", flat=True)) == in_flight
    assert set(interrupted.values_list("attempts", flat=True)) == {2}
    assert not Message.objects.exclude(pk__in=in_flight).exclude(attempts=1).exists()
