"""The outbox and what feeds it: messages, recipients, attachments, templates,
distribution lists, chat webhooks and meetings.

A message row is written in the same transaction as the change that causes
it, then delivered by the worker. `next_attempt_at` is the message's timer:
the worker claims rows whose timer is due, and a claim pushes the timer out
by a lease so a message whose worker died becomes due again by itself.
"""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from retainops.core.capabilities import Capability
from retainops.core.choices import badge
from retainops.messaging.choices import (
    MESSAGE_STATE_COLOURS,
    Channel,
    MeetingState,
    MemberKind,
    MessageState,
)

M = MessageState
PENDING_STATES = (M.QUEUED, M.SENDING)


class WebhookEndpoint(models.Model):
    """A chat webhook (Slack-compatible) that chat messages are posted to, signed."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=200, help_text="Standard Webhooks secret (whsec_ followed by base64)."
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MessageTemplate(models.Model):
    """A message text administrators edit, with variables from the client and process."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DistributionList(models.Model):
    """A named set of recipients (people, contacts, addresses, client roles)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DistributionListMember(models.Model):
    """One entry of a distribution list; exactly one of its targets is set."""

    distribution_list = models.ForeignKey(
        DistributionList, on_delete=models.CASCADE, related_name="members"
    )
    kind = models.CharField(max_length=10, choices=MemberKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.ForeignKey(
        "core.Role", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    address = models.EmailField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        target = self.user or self.contact or self.role or self.address
        return f"{self.get_kind_display()}: {target}"


class MessageQuerySet(models.QuerySet["Message"]):
    def due(self, at: object) -> "MessageQuerySet":
        """Messages whose timer has come: queued ones, and claims whose lease ran out."""
        return self.filter(state__in=PENDING_STATES, next_attempt_at__lte=at)


def _manages_messages(message: Any, user: Any) -> bool:
    return bool(user.has_capability(Capability.MANAGE_MESSAGES))


def _attempts_left(message: Any) -> bool:
    return bool(message.attempts < message.max_attempts)


class Message(FSMModelMixin, models.Model):
    """One outgoing message and its delivery state (queued, sending, sent, failed).

    `uid` is the idempotency key: it is the e-mail's Message-ID and the
    webhook's id, so a receiver can drop the duplicate a crash between
    sending and recording may cause. The worker moves the state through the
    transitions below by compare-and-set (`core.transitions`), so when two
    workers race for one message only one UPDATE matches the row.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    state = FSMField(max_length=10, choices=MessageState.choices, default=M.QUEUED, protected=True)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    cause = models.CharField(
        max_length=120, blank=True, help_text="The process or action that caused the message."
    )
    # The playbook run whose step or timer queued the message: the cause says which step,
    # this says which run, so the message can be shown with what the run is about.
    run = models.ForeignKey(
        "playbooks.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    from_email = models.CharField(max_length=254, blank=True)
    webhook = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    # Counted when a worker claims the message, so an attempt that never gets to
    # record its outcome (the worker was killed while sending) still counts.
    attempts = models.PositiveIntegerField(default=0)
    # Attempts whose claim ran out before an outcome was recorded: the worker stopped
    # (or stalled past its lease) while sending. db_default so rows written by raw SQL
    # (bench/) need not name it.
    interruptions = models.PositiveIntegerField(default=0, db_default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=120, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Only pending rows are in this index, so finding due messages costs
            # in proportion to what is pending, not to everything ever sent.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["queued", "sending"]),
                name="message_due_idx",
            ),
            models.Index(fields=["client", "-created_at"], name="message_client_idx"),
            models.Index(fields=["state", "-created_at"], name="message_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.subject or self.body_text[:40]}"

    @property
    def state_badge(self) -> dict:
        return badge(MessageState, MESSAGE_STATE_COLOURS, self.state)

    @property
    def cause_words(self) -> str:
        """The cause as people read it (messaging.words): names, not keys."""
        from retainops.messaging.words import cause_words

        return cause_words(self)

    @property
    def message_id(self) -> str:
        return f"<{self.uid}@{settings.MESSAGE_ID_DOMAIN}>"

    @property
    def delivery_id(self) -> str:
        """The webhook-id header: the same on every attempt of this message."""
        return f"msg_{self.uid.hex}"

    # A message still `sending` when claimed was abandoned by a worker whose lease ran out.
    @transition(field=state, source=[M.QUEUED, M.SENDING], target=M.SENDING)
    def claim(self) -> None:
        """A worker takes it for a lease, counting the attempt."""

    @transition(field=state, source=M.SENDING, target=M.SENT)
    def mark_sent(self) -> None:
        """The receiver accepted it."""

    @transition(
        field=state,
        source=M.SENDING,
        target=M.QUEUED,
        conditions=[_attempts_left],
    )
    def retry_later(self) -> None:
        """A passing failure, with attempts left: due again after a backoff."""

    @transition(field=state, source=M.SENDING, target=M.FAILED)
    def give_up(self) -> None:
        """A permanent failure, or the attempts are used up."""

    @transition(field=state, source=M.FAILED, target=M.QUEUED, permission=_manages_messages)
    def retry_by_hand(self) -> None:
        """Staff who manage the outbox put it back in the queue with fresh attempts."""


class MessageRecipient(models.Model):
    """An address a message goes to, resolved when the message was queued."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    address = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=120, blank=True, help_text="How it was chosen.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


class MessageAttachment(models.Model):
    """A file attached to an e-mail (calendar invitations are attachments too)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.filename


class Meeting(ConcurrentTransitionMixin, models.Model):
    """A meeting with a stable iCalendar UID; each change raises its SEQUENCE.

    Who may call it off depends on the path (whoever may edit the client, or the
    manager cancelling the run that booked it): the services check that.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="meetings"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attendees = models.JSONField(default=list, help_text="Recipient specs of the attendees.")
    sequence = models.PositiveIntegerField(default=0)
    recurrence = models.CharField(
        max_length=200, blank=True, help_text="RFC 5545 RRULE of a meeting series, if it repeats."
    )
    state = FSMField(
        max_length=10,
        choices=MeetingState.choices,
        default=MeetingState.SCHEDULED,
        protected=True,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.title} at {self.starts_at:%Y-%m-%d %H:%M}"

    @transition(field=state, source=MeetingState.SCHEDULED, target=MeetingState.CANCELLED)
    def cancel(self) -> None:
        """Called off: attendees get METHOD:CANCEL with a higher SEQUENCE."""
        self.sequence += 1
