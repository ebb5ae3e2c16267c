"""The outbox announces what happens to a message: queued with its cause, sent once the
real SMTP server accepted it, failed when its last attempt is spent."""

from collections.abc import Iterator

import pytest
from django.utils import timezone

from retainops.clients.models import Client
from retainops.core import events as bus
from retainops.messaging import events
from retainops.messaging.choices import Channel
from retainops.messaging.delivery import process_due
from retainops.messaging.models import WebhookEndpoint
from retainops.messaging.services import Outgoing, queue_message
from retainops.messaging.testing import HttpPeer, SmtpPeer

OUTBOX_EVENTS = (events.MessageQueued, events.MessageSent, events.MessageFailed)


@pytest.fixture
def heard() -> Iterator[list[bus.DomainEvent]]:
    caught: list[bus.DomainEvent] = []
    entries = [(kind, caught.append) for kind in OUTBOX_EVENTS]
    for entry in entries:
        bus.listen(*entry)
    yield caught
    for entry in entries:
        bus.stop_listening(*entry)


def _report(harbor: Client) -> Outgoing:
    return Outgoing(subject="Your report", body_text="Clicks are up.", to=["contacts"])


def test_a_message_is_announced_queued_then_sent_once_the_server_took_it(
    smtp: SmtpPeer, harbor: Client, heard: list
):
    message = queue_message(outgoing=_report(harbor), client=harbor, cause="monthly report")
    assert [(type(e).__name__, e.message.pk) for e in heard] == [("MessageQueued", message.pk)]

    process_due(now=timezone.now(), worker="test-worker")
    process_due(now=timezone.now(), worker="test-worker")

    assert [type(e).__name__ for e in heard] == ["MessageQueued", "MessageSent"]
    assert len(smtp.received) == 1
    assert heard[1].message.state == "sent"


def test_a_message_that_fails_for_good_is_announced_failed_not_sent(
    receiver: HttpPeer, webhook: WebhookEndpoint, heard: list
):
    receiver.answer(404)
    outgoing = Outgoing(
        subject="Renewal", body_text="Harbor renews.", channel=Channel.CHAT, webhook=webhook
    )
    queue_message(outgoing=outgoing, client=None, cause="test")

    process_due(now=timezone.now(), worker="test-worker")

    assert [type(e).__name__ for e in heard] == ["MessageQueued", "MessageFailed"]
    assert heard[1].message.last_error.startswith("HTTP 404")
