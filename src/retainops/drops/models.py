"""Marketing drops and the service team behind them.

A drop is one marketing release of a client program (a mail drop, a TV spot...) at
an instant, to an audience, with an expected response rate. Its response profile
(per drop channel) spreads the responses over the 30-minute intervals after it and
splits them over the channels customers answer on. The roster (agents and their
shifts) meets that demand; the gates say whether the service team is ready for it;
actual contacts per interval, imported after the drop, measure the forecast.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from retainops.drops.choices import (
    DROP_STATE_COLOURS,
    AnswerChannel,
    DropChannel,
    DropState,
    Gate,
)

S = DropState
INTERVAL = timedelta(minutes=30)


class ResponseProfile(models.Model):
    """How responses to one kind of drop spread over time and over answer channels.

    The share of the responses in the i-th half hour after the drop is proportional to
    2^(-i/2 / half_life_hours), up to `span_hours`; `phone`, `chat` and `email` split
    them (they add up to 1). `revision` rises at each edit or adjustment from actuals."""

    channel = models.CharField(max_length=12, choices=DropChannel.choices, unique=True)
    half_life_hours = models.FloatField(validators=[MinValueValidator(0.25)])
    span_hours = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(720)]
    )
    phone = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    chat = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    email = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    revision = models.PositiveIntegerField(default=1)
    adjusted_from = models.PositiveIntegerField(
        default=0, help_text="How many drops' actuals have adjusted the decay."
    )

    class Meta:
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} response profile"

    def split(self) -> dict[str, float]:
        return {
            AnswerChannel.PHONE: self.phone,
            AnswerChannel.CHAT: self.chat,
            AnswerChannel.EMAIL: self.email,
        }

    def shares(self) -> list[float]:
        """The share of all responses in each half hour after the drop (adds up to 1)."""
        count = max(1, self.span_hours * 2)
        weights = [2.0 ** (-(i + 0.5) / 2 / self.half_life_hours) for i in range(count)]
        total = math.fsum(weights)
        return [w / total for w in weights]


class StaffingTarget(models.Model):
    """The service level the team works to on one answer channel: `service_level` of the
    contacts answered within `target_answer_seconds`, each handled in `aht_seconds`."""

    answer_channel = models.CharField(max_length=10, choices=AnswerChannel.choices, unique=True)
    aht_seconds = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    target_answer_seconds = models.PositiveIntegerField()
    service_level = models.FloatField(
        validators=[MinValueValidator(0.01), MaxValueValidator(0.999)]
    )
    max_occupancy = models.FloatField(validators=[MinValueValidator(0.01), MaxValueValidator(0.99)])
    shrinkage = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(0.95)])

    class Meta:
        ordering = ["answer_channel"]

    def __str__(self) -> str:
        level = f"{self.service_level:.0%} in {self.target_answer_seconds} s"
        return f"{self.get_answer_channel_display()}: {level}"


class Drop(FSMModelMixin, models.Model):
    """One marketing release of a client program. Marked ready only once every gate is
    passed (or by an override with a reason); dropped once it went out."""

    program = models.ForeignKey("onboarding.Program", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=12, choices=DropChannel.choices)
    drop_at = models.DateTimeField(db_index=True)
    audience_size = models.PositiveIntegerField()
    expected_response_rate = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of the audience expected to respond (0.02 for 2 %).",
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    readiness_lead_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MaxValueValidator(120)],
        help_text="Gates open this many days before.",
    )
    state = FSMField(max_length=10, choices=DropState.choices, default=S.PLANNED, protected=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    conversions = models.PositiveIntegerField(null=True, blank=True)
    sales = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    customers_acquired = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["drop_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def colour(self) -> str:
        return DROP_STATE_COLOURS[DropState(self.state)]

    @property
    def expected_responses(self) -> float:
        return self.audience_size * self.expected_response_rate

    @transition(field=state, source=S.PLANNED, target=S.READY)
    def mark_ready(self) -> None:
        """Every gate passed, or an override with its reason."""

    @transition(field=state, source=[S.PLANNED, S.READY], target=S.DROPPED)
    def mark_dropped(self) -> None:
        """The drop went out."""

    @transition(field=state, source=[S.PLANNED, S.READY], target=S.CANCELLED)
    def cancel(self) -> None:
        """Called off."""


class DropGate(models.Model):
    """One readiness gate of a drop; open until passed. The routing gate passes only with
    a test call recorded; the training gate only when every rostered agent acknowledged
    the program's latest training pack."""

    drop = models.ForeignKey(Drop, on_delete=models.CASCADE, related_name="gates")
    gate = models.CharField(max_length=10, choices=Gate.choices)
    test_call_at = models.DateTimeField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["drop", "id"]
        constraints = [models.UniqueConstraint(fields=["drop", "gate"], name="drops_one_gate_each")]

    def __str__(self) -> str:
        return f"{self.drop}: {self.get_gate_display()}"

    @property
    def is_open(self) -> bool:
        return self.passed_at is None


class DropActivity(models.Model):
    """A line of the drop's timeline (planned, gate passed, ready, override and its reason...)."""

    drop = models.ForeignKey(Drop, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    what = models.CharField(max_length=300)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.what


class ReadinessWarning(models.Model):
    """A timer row: `days_before` the drop, if gates are still open, its owner and the
    team lead are told. Fired once by the worker (core/timer_rows.py)."""

    drop = models.ForeignKey(Drop, on_delete=models.CASCADE, related_name="warnings")
    days_before = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["fired_at", "due_at"], name="drops_warning_due")]

    def __str__(self) -> str:
        return f"{self.drop}: {self.days_before} days before"


class Agent(models.Model):
    """A person of the service team who answers customers (may have a login or not)."""

    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """One shift of an agent on the roster."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "agent__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="drops_shift_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.starts_at:%a %H:%M}-{self.ends_at:%H:%M}"


class TrainingPack(models.Model):
    """Scripts, scenarios and FAQs of a program, one row per version (never edited)."""

    program = models.ForeignKey("onboarding.Program", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    scripts = models.TextField(blank=True)
    scenarios = models.TextField(blank=True)
    faqs = models.TextField(blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="drops_pack_version_once")
        ]

    def __str__(self) -> str:
        return f"Training pack v{self.version}"


class Acknowledgement(models.Model):
    """An agent read and acknowledged one version of a training pack."""

    pack = models.ForeignKey(
        TrainingPack, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pack", "agent"], name="drops_ack_once")]

    def __str__(self) -> str:
        return f"{self.agent} acknowledged {self.pack}"


class ActualInterval(models.Model):
    """Contacts the contact centre received in one 30-minute interval after a drop."""

    drop = models.ForeignKey(Drop, on_delete=models.CASCADE, related_name="actuals")
    answer_channel = models.CharField(max_length=10, choices=AnswerChannel.choices)
    starts_at = models.DateTimeField()
    contacts = models.PositiveIntegerField()

    class Meta:
        ordering = ["drop", "starts_at", "answer_channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["drop", "answer_channel", "starts_at"], name="drops_actual_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.drop} {self.answer_channel} {self.starts_at}: {self.contacts}"
