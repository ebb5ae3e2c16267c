"""Delivering the outbox: claim due messages, send each, record the outcome.

Steps of one pass (`process_due`):
  1. Claim up to a batch of due messages in one short transaction: on
     PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers take disjoint
     batches; on SQLite the IMMEDIATE transaction serialises claimers. A claim
     sets state=sending, the worker's id, counts the attempt, and pushes the
     timer out by a lease. A message still `sending` whose lease ran out was
     abandoned by a worker that stopped while sending it: the claim counts that
     as an interruption and, once its attempts are used up, fails it instead.
  2. For each claimed message in turn, renew its claim with a compare-and-set
     (still ours → lease extended from now; taken over by another worker after
     our lease ran out → skip it, the other worker sends it), then send it
     (SMTP or webhook) with its stable id.
  3. Record the outcome with the same compare-and-set: sent; or queued again
     with exponential backoff; or failed when the error is permanent or the
     attempts are used up.
The claim's fencing token is (claimed_by, next_attempt_at): every claim and
renewal writes a lease instant, and a later claim of a row always writes a later
one, so a worker that lost a row cannot touch it even under the same name. A
worker that dies between 1 and 3 leaves rows in `sending`; when their lease runs
out they are due again and another worker sends them. A death (or a single send
outlasting the lease) between sending and recording can therefore repeat that
one send, which the receiver recognises by the Message-ID / webhook-id.
"""

import json
import logging
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection, transaction
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from standardwebhooks import Webhook

from retainops.core.events import emit
from retainops.core.transitions import move, move_rows
from retainops.messaging.choices import Channel, MessageState
from retainops.messaging.events import MessageFailed, MessageSent
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


@dataclass
class Claim:
    """A batch of messages one worker holds, and the lease instant of each.

    `leases[id]` is the instant the claim (or its last renewal) wrote to the
    row's next_attempt_at: with claimed_by, the token every later write checks.
    """

    worker: str
    now: datetime  # the instant the pass runs for (`tick --at` may name another)
    ids: list[int]
    leases: dict[int, datetime]
    given_up: int = 0  # abandoned messages failed at claim time, attempts used up
    started: datetime = field(default_factory=timezone.now)  # real time of the claim

    def __len__(self) -> int:
        return len(self.ids)

    def clock(self) -> datetime:
        """The pass's instant moved on by the time the batch has taken so far."""
        return self.now + (timezone.now() - self.started)


def _lease() -> timedelta:
    return timedelta(seconds=settings.MESSAGE_CLAIM_LEASE_SECONDS)


def _interrupted(times: int) -> str:
    return f"the worker stopped while sending, {times} time{'' if times == 1 else 's'}"


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


def claim_due(*, now: datetime, worker: str, limit: int) -> Claim:
    """Take up to `limit` due messages for this worker; no other worker gets them.

    Each claim counts an attempt. A due message still in `sending` was abandoned
    mid-send (its worker died, or outlasted the lease): that is an interruption,
    and a message whose attempts are all used up that way (a poison message that
    kills every worker trying it) is failed here rather than tried forever.
    """
    started = timezone.now()
    lease_until = now + _lease()
    columns = ("id", "state", "attempts", "max_attempts", "interruptions")
    with transaction.atomic():
        due = list(due_for_claim(now).values_list(*columns)[:limit])
        ids, given_up = [], 0
        for pk, state, attempts, max_attempts, interruptions in due:
            if state != MessageState.SENDING:
                ids.append(pk)
                continue
            times = interruptions + 1
            if attempts >= max_attempts:
                given_up += move_rows(
                    Message.objects.filter(pk=pk),
                    "give_up",
                    claimed_by=worker,
                    interruptions=times,
                    last_error=f"{_interrupted(times)}; gave up after {attempts} attempts",
                )
                continue
            Message.objects.filter(pk=pk).update(
                interruptions=times, last_error=_interrupted(times)
            )
            ids.append(pk)
        if ids:
            move_rows(
                Message.objects.filter(pk__in=ids),
                "claim",
                claimed_by=worker,
                next_attempt_at=lease_until,
                attempts=F("attempts") + 1,
            )
    return Claim(
        worker=worker,
        now=now,
        ids=ids,
        leases=dict.fromkeys(ids, lease_until),
        given_up=given_up,
        started=started,
    )


def renew_claim(claim: Claim, message: Message) -> bool:
    """Extend this message's lease from the batch's clock if the claim is still ours.

    Called before each send, so a message's lease runs from its own send rather
    than from the claim of the whole batch (20 sends of up to EMAIL_TIMEOUT each can
    outlast MESSAGE_CLAIM_LEASE_SECONDS). False when another worker has taken the
    message over (our lease ran out and it claimed the row): the message is theirs
    to send. A lease that ran out without anyone taking the row over is still ours:
    a claimer and this update write the same row under the same row lock, so either
    the claim came first and this matches nothing, or this came first and the row
    is no longer due.
    """
    held = claim.leases.get(message.pk)
    if held is None:
        return False  # never in this claim
    renewed_until = claim.clock() + _lease()
    renewed = Message.objects.filter(
        pk=message.pk, state=MessageState.SENDING, claimed_by=claim.worker, next_attempt_at=held
    ).update(next_attempt_at=renewed_until)
    if not renewed:
        return False
    claim.leases[message.pk] = renewed_until
    return True


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


def _record(name: str, message: Message, claim: Claim, **fields: Any) -> bool:
    held = {"claimed_by": claim.worker, "next_attempt_at": claim.leases[message.pk]}
    if not move(message, name, guard=held, **fields):
        # The send took longer than the lease and another worker took the message over:
        # its outcome stands (and the receiver may see the message twice, same id).
        log.warning("message %s was taken over while %s sent it", message.pk, claim.worker)
        return False
    return True


def _record_failure(message: Message, claim: Claim, error: str, final: bool) -> str:
    """The attempt was counted at claim time; give up if it was the last one."""
    if final or message.attempts >= message.max_attempts:
        if _record("give_up", message, claim, last_error=error[:2000]):
            emit(MessageFailed(message=message))
        return "failed"
    _record(
        "retry_later",
        message,
        claim,
        last_error=error[:2000],
        next_attempt_at=claim.now + backoff(message.attempts),
        claimed_by="",
    )
    return "retried"


def deliver(message: Message, *, claim: Claim, mail_connection: Any) -> str:
    """Send one claimed message and record what happened: 'sent', 'retried' or
    'failed'; 'skipped' when another worker took it over before it was sent."""
    if not renew_claim(claim, message):
        return "skipped"
    try:
        if message.channel == Channel.CHAT:
            _send_chat(message)
        else:
            _classify_smtp(message, mail_connection)
    except PermanentFailure as error:
        return _record_failure(message, claim, str(error), final=True)
    except (TimeoutError, smtplib.SMTPException, OSError, httpx.HTTPError) as error:
        return _record_failure(message, claim, f"{type(error).__name__}: {error}", False)
    except Exception as error:
        # A message that breaks the sender (bad stored data, a library error) must
        # not stop the worker and the rest of its batch: count it as an attempt.
        log.exception("delivering message %s failed unexpectedly", message.pk)
        return _record_failure(message, claim, f"{type(error).__name__}: {error}", False)
    if _record("mark_sent", message, claim, sent_at=claim.now, last_error=""):
        emit(MessageSent(message=message))
    return "sent"


def deliver_claimed(claim: Claim) -> Iterator[str]:
    """Deliver a claimed batch one message after another, yielding each outcome."""
    messages = Message.objects.filter(
        pk__in=claim.ids, claimed_by=claim.worker, state=MessageState.SENDING
    )
    mail_connection = mailers.default
    try:
        for message in (
            messages.order_by("id")  # in the order they were queued
            .select_related("webhook")
            .prefetch_related("recipients", "attachments")
        ):
            yield deliver(message, claim=claim, mail_connection=mail_connection)
    finally:
        _close_quietly(mail_connection)


def process_due(*, now: datetime, worker: str, limit: int | None = None) -> DeliveryReport:
    """One pass: claim a batch of due messages and deliver each."""
    claim = claim_due(now=now, worker=worker, limit=limit or settings.WORKER_BATCH_SIZE)
    report = DeliveryReport(failed=claim.given_up)
    if not claim.ids:
        return report
    delivered = 0
    for outcome in deliver_claimed(claim):
        setattr(report, outcome, getattr(report, outcome) + 1)
        delivered += 1
    # Claimed, but taken over by another worker before the batch was even read.
    report.skipped += len(claim.ids) - delivered
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
