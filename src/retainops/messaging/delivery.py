"""Delivering the outbox: claim due messages, send each, record the outcome.

Steps of one pass (`process_due`):
  1. Claim up to a batch of due messages in one short transaction: on
     PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers take disjoint
     batches; on SQLite the IMMEDIATE transaction serialises claimers. A claim
     sets state=sending, the worker's id, and pushes the timer out by a lease.
  2. Send each claimed message (SMTP or webhook) with its stable id.
  3. Record the outcome with a compare-and-set on (state=sending, claimed_by=me):
     sent; or queued again with exponential backoff; or failed when the
     error is permanent or the attempts are used up.
A worker that dies between 1 and 3 leaves rows in `sending`; when their lease
runs out they are due again and another worker sends them. A death between
sending and recording can therefore repeat a send, which the receiver
recognises by the Message-ID / webhook-id.
"""

import json
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from standardwebhooks import Webhook

from retainops.messaging.choices import MESSAGE_TRANSITIONS, Channel, MessageState
from retainops.messaging.models import Message

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)
RETRYABLE_HTTP = {408, 429}
# message_due_idx's condition, written as the migration wrote it.
_PENDING_LITERALLY = "\"messaging_message\".\"state\" IN ('queued', 'sending')"


class PermanentFailure(Exception):
    """The receiver refused the message for good; retrying cannot help."""


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt after `attempts` failed ones: base x 2^(n-1), capped."""
    delay = timedelta(seconds=settings.MESSAGE_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def _transition(name: str, ids: list[int], worker: str | None, **fields: Any) -> int:
    sources, target = MESSAGE_TRANSITIONS[name]
    rows = Message.objects.filter(pk__in=ids, state__in=sources)
    if worker is not None:
        rows = rows.filter(claimed_by=worker)
    return rows.update(state=target, **fields)


def due_for_claim(now: datetime) -> QuerySet[Message]:
    """Due messages, oldest timer first, as claim_due reads them (locked where possible).

    SQLite uses a partial index only when the query states the index's condition
    with the same literals, and Django binds `state IN (...)` as parameters: the
    literal copy lets it read message_due_idx instead of scanning every message
    ever sent (with the write lock held) when a backlog makes `state` unselective.
    """
    due = Message.objects.due(now)
    if connection.vendor == "sqlite":
        due = due.filter(RawSQL(_PENDING_LITERALLY, [], output_field=BooleanField()))
    due = due.order_by("next_attempt_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return due


def claim_due(*, now: datetime, worker: str, limit: int) -> list[int]:
    """Take up to `limit` due messages for this worker; no other worker gets them."""
    lease_until = now + timedelta(seconds=settings.MESSAGE_CLAIM_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(due_for_claim(now).values_list("id", flat=True)[:limit])
        if ids:
            _transition("claim", ids, None, claimed_by=worker, next_attempt_at=lease_until)
    return ids


def _email(message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        # Address() quotes a display name when it must ("Doe, Jane"); formatting
        # "name <address>" by hand would read as two addresses.
        to=[str(Address(r.name, addr_spec=r.address)) for r in message.recipients.all()],
        headers={"Message-ID": message.message_id, "X-RetainOps-Message": str(message.uid)},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    return email


def _send_email(message: Message, mail_connection: Any) -> None:
    try:
        # Opened here, not by send_messages (which would close it again after each
        # message), so one SMTP session carries the whole batch.
        mail_connection.open()
        mail_connection.send_messages([_email(message)])
    except Exception:
        # Start the next message on a fresh connection, not a broken one.
        _close_quietly(mail_connection)
        raise


def _close_quietly(mail_connection: Any) -> None:
    try:
        mail_connection.close()
    except (smtplib.SMTPException, OSError):
        log.warning("closing the SMTP connection failed", exc_info=True)
    # Django's SMTP backend keeps a dead socket object; forget it so open() reconnects.
    if getattr(mail_connection, "connection", None) is not None:
        mail_connection.connection = None


def _classify_smtp(message: Message, mail_connection: Any) -> None:
    try:
        _send_email(message, mail_connection)
    except smtplib.SMTPRecipientsRefused as error:
        codes = {code for code, _text in error.recipients.values()}
        if all(code >= 500 for code in codes):
            raise PermanentFailure(f"every recipient refused: {error.recipients}") from None
        raise
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        if error.smtp_code >= 500:
            raise PermanentFailure(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from None
        raise


def chat_payload(message: Message) -> str:
    """A Slack-compatible body: one text field, the subject in bold when there is one."""
    text = f"*{message.subject}*\n{message.body_text}" if message.subject else message.body_text
    return json.dumps({"text": text, "username": "RetainOps"})


def _send_chat(message: Message) -> None:
    webhook = message.webhook
    if webhook is None:
        raise PermanentFailure("the chat message has no webhook")
    body = chat_payload(message)
    # The receiver checks the timestamp against its own clock, so it is the moment
    # of sending, not the instant the pass runs for (`tick --at`, a long batch).
    signed_at = timezone.now()
    signature = Webhook(webhook.secret).sign(message.delivery_id, signed_at, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": message.delivery_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": signature,
    }
    response = httpx.post(
        webhook.url, content=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
    )
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"HTTP {status}: {response.text[:300]}"
    if 400 <= status < 500 and status not in RETRYABLE_HTTP:
        raise PermanentFailure(reason)
    raise httpx.HTTPStatusError(reason, request=response.request, response=response)


def _record_failure(message: Message, worker: str, now: datetime, error: str, final: bool) -> str:
    attempts = message.attempts + 1
    if final or attempts >= message.max_attempts:
        _transition("give_up", [message.pk], worker, attempts=attempts, last_error=error[:2000])
        return "failed"
    _transition(
        "retry_later",
        [message.pk],
        worker,
        attempts=attempts,
        last_error=error[:2000],
        next_attempt_at=now + backoff(attempts),
        claimed_by="",
    )
    return "retried"


def deliver(message: Message, *, worker: str, now: datetime, mail_connection: Any) -> str:
    """Send one claimed message and record what happened: 'sent', 'retried' or 'failed'."""
    try:
        if message.channel == Channel.CHAT:
            _send_chat(message)
        else:
            _classify_smtp(message, mail_connection)
    except PermanentFailure as error:
        return _record_failure(message, worker, now, str(error), final=True)
    except (TimeoutError, smtplib.SMTPException, OSError, httpx.HTTPError) as error:
        return _record_failure(message, worker, now, f"{type(error).__name__}: {error}", False)
    except Exception as error:
        # A message that breaks the sender (bad stored data, a library error) must
        # not stop the worker and the rest of its batch: count it as an attempt.
        log.exception("delivering message %s failed unexpectedly", message.pk)
        return _record_failure(message, worker, now, f"{type(error).__name__}: {error}", False)
    _transition(
        "mark_sent", [message.pk], worker, attempts=message.attempts + 1, sent_at=now, last_error=""
    )
    return "sent"


def process_due(*, now: datetime, worker: str, limit: int | None = None) -> DeliveryReport:
    """One pass: claim a batch of due messages and deliver each."""
    report = DeliveryReport()
    ids = claim_due(now=now, worker=worker, limit=limit or settings.WORKER_BATCH_SIZE)
    if not ids:
        return report
    messages = Message.objects.filter(pk__in=ids, claimed_by=worker, state=MessageState.SENDING)
    mail_connection = mailers.default
    try:
        for message in messages.select_related("webhook").prefetch_related(
            "recipients", "attachments"
        ):
            outcome = deliver(message, worker=worker, now=now, mail_connection=mail_connection)
            setattr(report, outcome, getattr(report, outcome) + 1)
    finally:
        _close_quietly(mail_connection)
    report.skipped = len(ids) - (report.sent + report.retried + report.failed)
    return report


def drain(*, now: datetime, worker: str) -> DeliveryReport:
    """Pass after pass until nothing is due at `now` (what `retainops tick` does)."""
    total = DeliveryReport()
    while True:
        report = process_due(now=now, worker=worker)
        if not report.handled:
            return total
        for name in ("sent", "retried", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
