"""What reaches the real peers: the e-mail an SMTP server receives, the signed webhook."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from standardwebhooks import Webhook

from retainops.clients.models import Client
from retainops.messaging.choices import Channel, MessageState
from retainops.messaging.delivery import process_due
from retainops.messaging.models import Message, WebhookEndpoint
from retainops.messaging.services import Attachment, Outgoing, queue_message
from retainops.messaging.testing import HttpPeer, SmtpPeer

PDF = b"%PDF-1.4\n\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def _chat(webhook: WebhookEndpoint, subject: str = "Renewal") -> Message:
    outgoing = Outgoing(
        subject=subject,
        body_text="Harbor Dental renews today.",
        channel=Channel.CHAT,
        webhook=webhook,
    )
    return queue_message(outgoing=outgoing, client=None, cause="test")


def test_delivered_email_arrives_with_its_stable_id_both_bodies_and_the_attachment(
    smtp: SmtpPeer, harbor: Client
):
    message = queue_message(
        outgoing=Outgoing(
            subject="Your November report",
            body_text="Clicks are up 12%.",
            body_html="<p>Clicks are <b>up 12%</b>.</p>",
            to=["dana@harbor.example"],
            attachments=[Attachment("report.pdf", "application/pdf", PDF)],
        ),
        client=harbor,
        cause="monthly report",
    )

    report = process_due(now=timezone.now(), worker="test-worker")

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [mail] = smtp.received
    assert mail.message_id == f"<{message.uid}@{settings.MESSAGE_ID_DOMAIN}>"
    assert mail.subject == "Your November report"
    assert mail.envelope_to == ["dana@harbor.example"]
    assert mail.parsed.get_content_type() == "multipart/mixed"
    assert mail.part("text/plain").strip() == "Clicks are up 12%."
    assert mail.part("text/html").strip() == "<p>Clicks are <b>up 12%</b>.</p>"
    assert mail.attachments() == [("report.pdf", "application/pdf", PDF)]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (MessageState.SENT, 1, "")


def test_a_contact_whose_name_has_a_comma_gets_a_well_formed_address(
    smtp: SmtpPeer, harbor: Client
):
    """'Doe, Jane' unquoted in a To header reads as two addresses; it must be quoted."""
    queue_message(
        outgoing=Outgoing(subject="Hello", body_text="Hi both.", to=["contacts"]),
        client=harbor,
        cause="test",
    )

    report = process_due(now=timezone.now(), worker="test-worker")

    assert report.sent == 1
    [mail] = smtp.received
    assert sorted(mail.envelope_to) == ["dana@harbor.example", "jane@harbor.example"]
    to = mail.parsed["To"]
    assert [(a.display_name, a.addr_spec) for a in to.addresses] == [
        ("Dana Diaz", "dana@harbor.example"),
        ("Doe, Jane", "jane@harbor.example"),
    ]


def test_chat_webhook_posts_slack_json_with_standard_webhooks_signature(
    receiver: HttpPeer, webhook: WebhookEndpoint, clock: time_machine.Traveller
):
    message = _chat(webhook)

    report = process_due(now=timezone.now(), worker="test-worker")

    assert report.sent == 1
    [request] = receiver.requests
    assert json.loads(request.body)["text"] == "*Renewal*\nHarbor Dental renews today."
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == message.delivery_id == f"msg_{message.uid.hex}"
    assert headers["webhook-timestamp"] == str(int(timezone.now().timestamp()))
    verified = Webhook(webhook.secret).verify(request.body, request.headers)
    assert verified["text"] == "*Renewal*\nHarbor Dental renews today."


def test_a_webhook_signed_with_another_secret_does_not_verify(
    receiver: HttpPeer, webhook: WebhookEndpoint
):
    """The signature is over the body with this endpoint's secret, not decoration."""
    _chat(webhook)
    process_due(now=timezone.now(), worker="test-worker")

    [request] = receiver.requests
    other = Webhook("whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0xMjM0NTY=")
    with pytest.raises(Exception, match="No matching signature"):
        other.verify(request.body, request.headers)
    tampered = request.body.replace(b"renews", b"cancels")
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(webhook.secret).verify(tampered, request.headers)


def test_a_webhook_delivered_by_a_tick_at_a_later_instant_still_verifies(
    receiver: HttpPeer, webhook: WebhookEndpoint
):
    """`tick --at` names which messages are due; the signature must carry the real
    sending time, or the receiver rejects it as too new (or too old)."""
    _chat(webhook)

    report = process_due(now=timezone.now() + timedelta(hours=2), worker="test-worker")

    assert report.sent == 1
    [request] = receiver.requests
    assert Webhook(webhook.secret).verify(request.body, request.headers)["text"]


def test_a_webhook_answering_404_fails_at_once_naming_the_status(
    receiver: HttpPeer, webhook: WebhookEndpoint, clock: time_machine.Traveller
):
    receiver.answer(404)
    message = _chat(webhook)

    report = process_due(now=timezone.now(), worker="test-worker")

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.FAILED, 1)
    assert message.last_error.startswith("HTTP 404")
    assert len(receiver.requests) == 1
