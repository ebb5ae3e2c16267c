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


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class MemberKind(models.TextChoices):
    USER = "user", "Staff member"
    CONTACT = "contact", "Client contact"
    ADDRESS = "address", "E-mail address"
    ROLE = "role", "Role on the client's team"
