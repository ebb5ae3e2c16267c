"""Choices of the drops app: what a drop goes out on, what customers answer on, the
drop's states and its readiness gates."""

from django.db import models


class DropChannel(models.TextChoices):
    MAIL = "mail", "Mail drop"
    BANNER = "banner", "Banner"
    TV = "tv", "TV"
    PRINT = "print", "Print"
    EMAIL_BLAST = "email_blast", "E-mail blast"
    OUTBOUND = "outbound", "Outbound calls"


class AnswerChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    EMAIL = "email", "E-mail"


class DropState(models.TextChoices):
    PLANNED = "planned", "Planned"
    READY = "ready", "Ready"
    DROPPED = "dropped", "Dropped"
    CANCELLED = "cancelled", "Cancelled"


DROP_STATE_COLOURS = {
    DropState.PLANNED: "amber",
    DropState.READY: "green",
    DropState.DROPPED: "blue",
    DropState.CANCELLED: "grey",
}


class Gate(models.TextChoices):
    ROUTING = "routing", "Phone menu messaging and routing configured, test call made"
    SCRIPTS = "scripts", "Scripts and scenarios written"
    FAQS = "faqs", "FAQs published"
    TOOLS = "tools", "Tools in place"
    TRAINING = "training", "Training delivered to the rostered agents"


# How responses to each kind of drop spread (hours over which they decay by half, how
# long they keep coming) and what customers answer on. Starting points an administrator
# edits; actuals adjust the decay after each drop.
DEFAULT_PROFILES: dict[str, dict[str, object]] = {
    DropChannel.MAIL: {"half_life_hours": 48.0, "span_hours": 240, "split": (0.6, 0.15, 0.25)},
    DropChannel.BANNER: {"half_life_hours": 6.0, "span_hours": 48, "split": (0.3, 0.5, 0.2)},
    DropChannel.TV: {"half_life_hours": 0.75, "span_hours": 12, "split": (0.75, 0.2, 0.05)},
    DropChannel.PRINT: {"half_life_hours": 30.0, "span_hours": 168, "split": (0.65, 0.1, 0.25)},
    DropChannel.EMAIL_BLAST: {"half_life_hours": 4.0, "span_hours": 72, "split": (0.3, 0.3, 0.4)},
    DropChannel.OUTBOUND: {"half_life_hours": 12.0, "span_hours": 72, "split": (0.9, 0.0, 0.1)},
}
