"""What happens in the outbox and to meetings, as domain events (see core/events.py).

Emitted by messaging/services.py and the worker's delivery. A message sent to a
client's contacts is a touchpoint with that client: the cadence signal listens here."""

from dataclasses import dataclass

from retainops.core.events import DomainEvent
from retainops.messaging.models import Meeting, Message


@dataclass(frozen=True, kw_only=True, eq=False)
class MessageQueued(DomainEvent):
    """A message was written to the outbox (with its recipients), to leave on commit."""

    name = "message.queued"
    message: Message


@dataclass(frozen=True, kw_only=True, eq=False)
class MessagesQueued(DomainEvent):
    """Messages were written to the outbox together (a sweep's batch of reminders and
    escalations), each with its recipients, to leave on commit."""

    name = "messages.queued"
    messages: list[Message]


@dataclass(frozen=True, kw_only=True, eq=False)
class MessageSent(DomainEvent):
    """The worker delivered a message (the SMTP server or the webhook accepted it)."""

    name = "message.sent"
    message: Message


@dataclass(frozen=True, kw_only=True, eq=False)
class MessageFailed(DomainEvent):
    """A message gave up after its last attempt, or failed for good (`last_error`)."""

    name = "message.failed"
    message: Message


@dataclass(frozen=True, kw_only=True, eq=False)
class MessageRetried(DomainEvent):
    """Someone put a failed message back in the queue with fresh attempts."""

    name = "message.retried"
    message: Message


@dataclass(frozen=True, kw_only=True, eq=False)
class MeetingChanged(DomainEvent):
    """A meeting was booked, moved or called off (`change`); its invitation, update or
    cancellation is queued with it."""

    name = "meeting.changed"
    meeting: Meeting
    change: str
