"""Choices of complaints: channels, severities, statuses, clocks and their states, each
with a label and, where a badge shows it, a colour (the same in pages and the API)."""

from django.db import models


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Client portal"
    MEETING = "meeting", "Meeting"
    SURVEY = "survey", "Survey"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_COLOURS = {"low": "grey", "medium": "blue", "high": "amber", "critical": "red"}


class ComplaintStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CLIENT = "waiting_on_client", "Waiting on the client"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


COMPLAINT_STATUS_COLOURS = {
    "new": "red",
    "acknowledged": "amber",
    "in_progress": "blue",
    "waiting_on_client": "grey",
    "resolved": "green",
    "closed": "grey",
}

OPEN_STATUSES = (
    ComplaintStatus.NEW,
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.IN_PROGRESS,
    ComplaintStatus.WAITING_ON_CLIENT,
)


class Clock(models.TextChoices):
    """The two service levels of a complaint."""

    RESPONSE = "response", "First response"
    RESOLUTION = "resolution", "Resolution"


class ClockLevel(models.TextChoices):
    """The moments a clock tells someone: before the breach, at it, and later still."""

    WARNING = "warning", "Warning before the breach"
    BREACH = "breach", "Breach"
    SECOND_LEVEL = "second_level", "Second level"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"


CLOCK_STATE_COLOURS = {"running": "blue", "paused": "grey", "breached": "red", "met": "green"}


class ActionState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


ACTION_STATE_COLOURS = {"open": "amber", "done": "green"}
