"""Contact plans: the kinds of planned contact, plan templates, each client's plan items,
the occurrences the plans fall due as, and the touchpoints that meet them.

An occurrence is a row written ahead of time by the sweep (up to a horizon); its
reminder and its deadline are timers on the row itself (`remind_at`/`reminded_at`,
`late_until` with the state), claimed by the worker so each fires once.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from retainops.cadence.choices import (
    ITEM_STATE_COLOURS,
    OCCURRENCE_STATE_COLOURS,
    ContactChannel,
    ItemState,
    OccurrenceState,
    Outcome,
    TouchpointSource,
)
from retainops.core.choices import badge

I = ItemState  # noqa: E741
O = OccurrenceState  # noqa: E741
OPEN = [O.PLANNED, O.MOVED]


class ContactKind(models.Model):
    """A kind of planned contact (weekly e-mail, call, quarterly meeting...), edited by
    administrators; its channel says which touchpoints meet it."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120, unique=True)
    channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.CALL
    )
    window_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(60)],
        help_text="A touchpoint this many days either side of the due time is on time.",
    )
    grace_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(120)],
        help_text="After the window, this many days more count as late; then it is missed.",
    )
    remind_hours = models.PositiveSmallIntegerField(
        default=24, help_text="The owner is reminded this many hours before the due time."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class PlanTemplate(models.Model):
    """A starting plan for clients of a service line or a tier (a monthly spend from
    `min_monthly_budget` up); the most specific match with the highest priority wins."""

    name = models.CharField(max_length=120, unique=True)
    service_line = models.ForeignKey(
        "clients.ServiceLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    min_monthly_budget = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Tier: clients whose active contracts add up to at least this a month.",
    )
    priority = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return self.name


class PlanTemplateItem(models.Model):
    """One planned communication of a template, copied into a client's plan."""

    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="items")
    kind = models.ForeignKey(ContactKind, on_delete=models.PROTECT, related_name="+")
    owner_role = models.CharField(max_length=40, default="account_manager")
    rrule = models.CharField(max_length=300)
    channel = models.CharField(max_length=10, choices=ContactChannel.choices, blank=True)
    at = models.TimeField(default=time(10, 0))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.rrule})"


class PlanItem(FSMModelMixin, models.Model):
    """One planned communication with a client: what, who, how often, how, from when.

    Its owner is a role on the client's team (whoever holds it when an occurrence is
    written) or a named person. `revision` rises at each edit; occurrences keep the
    revision they were written under, so an edit replaces future ones only.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    kind = models.ForeignKey(ContactKind, on_delete=models.PROTECT, related_name="+")
    owner_role = models.CharField(max_length=40, blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rrule = models.CharField(max_length=300)
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    starts_on = models.DateField()
    at = models.TimeField(default=time(10, 0))
    state = FSMField(max_length=10, choices=ItemState.choices, default=I.ACTIVE, protected=True)
    paused_by_client = models.BooleanField(
        default=False, help_text="Paused because the client was; resumes with it."
    )
    revision = models.PositiveIntegerField(default=1)
    written_until = models.DateTimeField(
        null=True, blank=True, help_text="Occurrences exist up to this instant."
    )
    template = models.ForeignKey(
        PlanTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    meeting = models.ForeignKey(
        "messaging.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind__label", "id"]
        indexes = [
            models.Index(fields=["client", "state"], name="plan_item_client_idx"),
            models.Index(fields=["state", "written_until"], name="plan_item_sweep_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(owner_role="") | Q(owner_user__isnull=False),
                name="plan_item_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.client}"

    @property
    def state_badge(self) -> dict:
        return badge(ItemState, ITEM_STATE_COLOURS, self.state)

    @property
    def owner_label(self) -> str:
        if self.owner_user_id:
            return str(self.owner_user)
        return self.owner_role.replace("_", " ")

    @transition(field=state, source=I.ACTIVE, target=I.PAUSED)
    def pause(self) -> None:
        """No occurrence falls due while paused."""

    @transition(field=state, source=I.PAUSED, target=I.ACTIVE)
    def resume(self) -> None:
        """Occurrences fall due again from now."""

    @transition(field=state, source=[I.ACTIVE, I.PAUSED], target=I.ENDED)
    def end(self) -> None:
        """The item is over; its past stays for adherence."""


class Touchpoint(models.Model):
    """A contact with a client: a call, a meeting, an e-mail (sent by RetainOps or not)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, choices=TouchpointSource.choices)
    summary = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    contacts = models.ManyToManyField("clients.Contact", blank=True, related_name="+")
    message = models.OneToOneField(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["client", "-at"], name="touchpoint_client_idx"),
            models.Index(fields=["client", "channel", "at"], name="touchpoint_match_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} with {self.client} at {self.at:%Y-%m-%d}"


class Occurrence(FSMModelMixin, models.Model):
    """One time a plan item falls due: a piece of work for its owner.

    `scheduled_for` is the rule's instant (unique per item); `due_at` is when it is
    due now (moved by hand). `settled_at` is set by every transition that settles it
    (done, skipped, missed) and by none that leaves it open. It is on time when a
    touchpoint of its channel falls in [window_start, window_end], late up to
    `late_until`, missed after that. The reminder (`remind_at`) and the miss are
    timers the sweep fires once each.
    """

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="occurrences")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    business_unit = models.ForeignKey(
        "core.BusinessUnit", on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    revision = models.PositiveIntegerField()
    scheduled_for = models.DateTimeField()
    due_at = models.DateTimeField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    late_until = models.DateTimeField()
    remind_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    state = FSMField(
        max_length=10, choices=OccurrenceState.choices, default=O.PLANNED, protected=True
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    skip_reason = models.TextField(blank=True)
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["client", "due_at"], name="occurrence_client_idx"),
            models.Index(fields=["assignee", "due_at"], name="occurrence_owner_idx"),
            # Only unsettled rows are in these two indexes, so the sweep's cost follows
            # what is pending. Their conditions are IS NULL tests only: SQLite uses a
            # partial index only when the query's terms imply it, which a bound
            # parameter (state IN (%s, %s)) never does.
            models.Index(
                fields=["remind_at"],
                condition=Q(reminded_at__isnull=True, settled_at__isnull=True),
                name="occurrence_remind_idx",
            ),
            models.Index(
                fields=["late_until"],
                condition=Q(settled_at__isnull=True),
                name="occurrence_miss_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "scheduled_for"], name="one_occurrence_per_instant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item.kind} for {self.client} on {self.due_at:%Y-%m-%d}"

    @property
    def state_badge(self) -> dict:
        return badge(OccurrenceState, OCCURRENCE_STATE_COLOURS, self.state)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def place(self, due_at: datetime, kind: ContactKind) -> None:
        """Set the due time and the moments that follow from it."""
        window = timedelta(days=kind.window_days)
        self.due_at = due_at
        self.window_start = due_at - window
        self.window_end = due_at + window
        self.late_until = self.window_end + timedelta(days=kind.grace_days)
        self.remind_at = due_at - timedelta(hours=kind.remind_hours)

    @transition(field=state, source=OPEN, target=O.MOVED)
    def reschedule(self) -> None:
        """Due at another time (its window and reminder move with it)."""

    @transition(field=state, source=OPEN, target=O.DONE)
    def complete(self) -> None:
        """Met: by a touchpoint of its channel, or marked done with notes."""

    @transition(field=state, source=OPEN, target=O.SKIPPED)
    def skip(self) -> None:
        """Not needed this time, with the reason."""

    @transition(field=state, source=OPEN, target=O.MISSED)
    def miss(self) -> None:
        """Its late window passed with no contact."""
