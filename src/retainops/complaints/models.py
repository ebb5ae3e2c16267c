"""Complaints, their service-level clocks, the improvement actions they spawn, and the
recurring themes they are grouped into; with the configuration behind them: business
calendars per unit, service-level policies, categories and root causes.

A complaint pins its policy's targets when it is raised (a later edit of the policy
changes the complaints raised after it), and its clocks are counted in the business
hours of its client's unit (business_time.py). Each moment a clock tells someone of
(warning, breach, second level) is one `ClockTimer` row, fired once by the worker.
"""

from datetime import time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from retainops.complaints.business_time import WorkingCalendar, calendar_problems
from retainops.complaints.choices import (
    ACTION_STATE_COLOURS,
    COMPLAINT_STATUS_COLOURS,
    SEVERITY_COLOURS,
    ActionState,
    Clock,
    ClockLevel,
    ComplaintChannel,
    ComplaintStatus,
    Severity,
)
from retainops.core.choices import badge

S = ComplaintStatus
WEEKDAYS = [1, 2, 3, 4, 5]


def weekdays() -> list[int]:
    return list(WEEKDAYS)


class BusinessCalendar(models.Model):
    """When a business unit works, for its service-level clocks. A unit without one
    works Monday to Friday, 9:00 to 17:00, in the project's time zone, with no holidays."""

    business_unit = models.OneToOneField(
        "core.BusinessUnit", on_delete=models.CASCADE, related_name="complaint_calendar"
    )
    time_zone = models.CharField(max_length=60, default="UTC")
    working_days = models.JSONField(
        default=weekdays, help_text="ISO weekdays the unit works: 1 is Monday, 7 is Sunday."
    )
    opens_at = models.TimeField(default=time(9))
    closes_at = models.TimeField(default=time(17))
    holiday_country = models.CharField(
        max_length=3, blank=True, help_text="ISO country code whose public holidays are kept."
    )
    holiday_subdivision = models.CharField(max_length=10, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Business hours of {self.business_unit}"

    def clean(self) -> None:
        problems = calendar_problems(**self.calendar_values())
        if problems:
            raise ValidationError({p.field_name: [p.message] for p in problems})

    def calendar_values(self) -> dict[str, Any]:
        days = self.working_days if isinstance(self.working_days, list) else []
        return {
            "time_zone": self.time_zone,
            "working_days": frozenset(d for d in days if isinstance(d, int)),
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "holiday_country": self.holiday_country.upper(),
            "holiday_subdivision": self.holiday_subdivision,
        }

    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar(**self.calendar_values())


def default_calendar() -> WorkingCalendar:
    return WorkingCalendar(time_zone=settings.TIME_ZONE, working_days=frozenset(WEEKDAYS))


class ComplaintCategory(models.Model):
    """What a complaint is about (reporting, billing, results...); configurable."""

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=160)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["label"]
        verbose_name_plural = "complaint categories"

    def __str__(self) -> str:
        return self.label


class RootCause(models.Model):
    """Why a complaint happened, recorded when it is resolved; configurable."""

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=160)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class ServiceLevelPolicy(models.Model):
    """How fast a complaint of a severity is answered and resolved in a unit (no unit:
    the default for every unit), in business minutes, and when people are told."""

    business_unit = models.ForeignKey(
        "core.BusinessUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    severity = models.CharField(max_length=10, choices=Severity.choices)
    first_response_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    warn_at_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="The owner is warned when this share of a target is used.",
    )
    second_level_percent = models.PositiveSmallIntegerField(
        default=150,
        validators=[MinValueValidator(101), MaxValueValidator(1000)],
        help_text="The department manager is told when this share of a target is used.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["business_unit__name", "severity"]
        verbose_name_plural = "service-level policies"
        constraints = [
            models.UniqueConstraint(
                fields=["business_unit", "severity"],
                condition=Q(business_unit__isnull=False),
                name="one_policy_per_unit_severity",
            ),
            models.UniqueConstraint(
                fields=["severity"],
                condition=Q(business_unit__isnull=True),
                name="one_default_policy_per_severity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} in {self.business_unit or 'every unit'}"

    def clean(self) -> None:
        first, resolution = self.first_response_minutes, self.resolution_minutes
        if first and resolution and resolution < first:
            raise ValidationError(
                {"resolution_minutes": ["Resolving cannot take less time than the first answer."]}
            )


def _within_reopen_window(complaint: Any) -> bool:
    """A resolution may be reopened for COMPLAINT_REOPEN_DAYS after it was made."""
    if complaint.resolved_at is None:
        return False
    window = timedelta(days=settings.COMPLAINT_REOPEN_DAYS)
    return bool(timezone.now() <= complaint.resolved_at + window)


class Complaint(FSMModelMixin, models.Model):
    """A client's complaint: who raised it how, what it is about, who owns it, where it
    stands, its service-level targets (pinned from the policy when raised) and, once
    resolved, its root cause."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="complaints"
    )
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=ComplaintChannel.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    category = models.ForeignKey(ComplaintCategory, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=200)
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = FSMField(max_length=20, choices=ComplaintStatus.choices, default=S.NEW, protected=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The policy's targets as they were when the complaint was raised.
    response_target_minutes = models.PositiveIntegerField()
    resolution_target_minutes = models.PositiveIntegerField()
    warn_at_percent = models.PositiveSmallIntegerField()
    second_level_percent = models.PositiveSmallIntegerField()
    # When each clock breaches, as last scheduled (empty while it stands still).
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    theme = models.ForeignKey(
        "Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["status", "resolution_due_at"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["client", "-raised_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.summary} ({self.client})"

    @property
    def status_badge(self) -> dict:
        return badge(ComplaintStatus, COMPLAINT_STATUS_COLOURS, self.status)

    @property
    def severity_badge(self) -> dict:
        return badge(Severity, SEVERITY_COLOURS, self.severity)

    @property
    def is_open(self) -> bool:
        return self.status not in (S.RESOLVED, S.CLOSED)

    def within_reopen_window(self) -> bool:
        return _within_reopen_window(self)

    @transition(field=status, source=S.NEW, target=S.ACKNOWLEDGED)
    def acknowledge(self) -> None:
        """The first response: someone told the client the complaint is being handled."""

    @transition(field=status, source=S.ACKNOWLEDGED, target=S.IN_PROGRESS)
    def start_work(self) -> None:
        """Work on the complaint began."""

    @transition(field=status, source=S.IN_PROGRESS, target=S.WAITING_ON_CLIENT)
    def wait_on_client(self) -> None:
        """The next move is the client's: the resolution clock stands still."""

    @transition(field=status, source=S.WAITING_ON_CLIENT, target=S.IN_PROGRESS)
    def resume_work(self) -> None:
        """The client answered: the resolution clock runs again."""

    @transition(
        field=status, source=[S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_ON_CLIENT], target=S.RESOLVED
    )
    def resolve(self) -> None:
        """Resolved, with its root cause."""

    @transition(field=status, source=S.RESOLVED, target=S.CLOSED)
    def close(self) -> None:
        """The client accepted the resolution, or the reopening window passed."""

    @transition(
        field=status,
        source=[S.RESOLVED, S.CLOSED],
        target=S.IN_PROGRESS,
        conditions=[_within_reopen_window],
    )
    def reopen(self) -> None:
        """The resolution did not hold: back to work, within the reopening window."""


class ClockPause(models.Model):
    """A stretch during which a complaint's resolution clock stood still (waiting on the
    client, or resolved before it was reopened); open while `ended_at` is empty."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=40)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.reason} from {self.started_at:%Y-%m-%d %H:%M}"


class ClockTimerQuerySet(models.QuerySet["ClockTimer"]):
    def pending(self) -> "ClockTimerQuerySet":
        return self.filter(fired_at__isnull=True, dropped_at__isnull=True, due_at__isnull=False)

    def due(self, now: Any) -> "ClockTimerQuerySet":
        return self.pending().filter(due_at__lte=now)


class ClockTimer(models.Model):
    """One moment a complaint's clock tells someone (the owner before the breach, the team
    lead at it, the department manager at the second level). One row per clock and
    level, so each is told once; its due time moves while the clock pauses (empty while
    it stands still), and it is dropped when the clock stops first."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="timers")
    clock = models.CharField(max_length=12, choices=Clock.choices)
    level = models.CharField(max_length=12, choices=ClockLevel.choices)
    due_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    objects = ClockTimerQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "clock", "level"], name="one_timer_per_clock_level"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="complaint_timer_pending",
                condition=Q(fired_at__isnull=True, dropped_at__isnull=True, due_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_clock_display()} {self.get_level_display().lower()} of {self.complaint_id}"
        )


class ImprovementAction(FSMModelMixin, models.Model):
    """Something to change so the complaint does not happen again: an owner, a due date,
    tracked to done."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    state = FSMField(
        max_length=6, choices=ActionState.choices, default=ActionState.OPEN, protected=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "state", "due_date"])]

    def __str__(self) -> str:
        return self.title

    @property
    def state_badge(self) -> dict:
        return badge(ActionState, ACTION_STATE_COLOURS, self.state)

    @transition(field=state, source=ActionState.OPEN, target=ActionState.DONE)
    def complete(self) -> None:
        """The change was made."""


class ComplaintActivity(models.Model):
    """One line of a complaint's history: who did what, when (the audit trail)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="activity")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    what = models.CharField(max_length=300)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "complaint activity"

    def __str__(self) -> str:
        return self.what


class Theme(models.Model):
    """A recurring theme: complaints across clients that say the same thing, found by the
    text model (themes.py). `alerted_at` records that the operations lead was told it
    spread, so that happens once."""

    label = models.CharField(max_length=200)
    terms = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "id"]

    def __str__(self) -> str:
        return self.label


class ThemeFit(models.Model):
    """When the themes were last fitted, and over how many complaints; the worker refits
    when complaints were raised or changed since."""

    fitted_at = models.DateTimeField()
    complaints = models.PositiveIntegerField(default=0)
    themes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-fitted_at"]

    def __str__(self) -> str:
        return f"themes fitted at {self.fitted_at:%Y-%m-%d %H:%M}"
