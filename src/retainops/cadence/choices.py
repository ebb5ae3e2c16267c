"""Choices of the contact plans: how a contact is made, and the states of plans and
their occurrences, each with its badge colour."""

from django.db import models


class ContactChannel(models.TextChoices):
    """How a contact with a client is made; an occurrence is met by a touchpoint of its
    channel."""

    EMAIL = "email", "E-mail"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"


class ItemState(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class OccurrenceState(models.TextChoices):
    PLANNED = "planned", "Planned"
    MOVED = "moved", "Moved"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    MISSED = "missed", "Missed"


class Outcome(models.TextChoices):
    """How a settled occurrence went, as adherence counts it."""

    ON_TIME = "on_time", "On time"
    LATE = "late", "Late"


class TouchpointSource(models.TextChoices):
    LOGGED = "logged", "Logged by hand"
    API = "api", "Recorded through the API"
    MESSAGE = "message", "Sent by RetainOps"


OPEN_OCCURRENCE_STATES = (OccurrenceState.PLANNED, OccurrenceState.MOVED)

ITEM_STATE_COLOURS: dict[str, str] = {
    ItemState.ACTIVE: "green",
    ItemState.PAUSED: "amber",
    ItemState.ENDED: "grey",
}

OCCURRENCE_STATE_COLOURS: dict[str, str] = {
    OccurrenceState.PLANNED: "blue",
    OccurrenceState.MOVED: "amber",
    OccurrenceState.DONE: "green",
    OccurrenceState.SKIPPED: "grey",
    OccurrenceState.MISSED: "red",
}
