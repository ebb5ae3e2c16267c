"""Channels and delivery states of messages, with their badge colours."""

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CHAT = "chat", "Chat webhook"


class MessageState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


MESSAGE_STATE_COLOURS: dict[str, str] = {
    MessageState.QUEUED: "blue",
    MessageState.SENDING: "amber",
    MessageState.SENT: "green",
    MessageState.FAILED: "red",
}

# The delivery state machine. Each transition names its sources and target;
# the worker applies them with conditional UPDATEs (compare-and-set), so when
# two workers race for one message only one UPDATE matches a row.
MESSAGE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "claim": ((MessageState.QUEUED, MessageState.SENDING), MessageState.SENDING),
    "mark_sent": ((MessageState.SENDING,), MessageState.SENT),
    "retry_later": ((MessageState.SENDING,), MessageState.QUEUED),
    "give_up": ((MessageState.SENDING,), MessageState.FAILED),
    "retry_by_hand": ((MessageState.FAILED,), MessageState.QUEUED),
}


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class MemberKind(models.TextChoices):
    USER = "user", "Staff member"
    CONTACT = "contact", "Client contact"
    ADDRESS = "address", "E-mail address"
    ROLE = "role", "Role on the client's team"
