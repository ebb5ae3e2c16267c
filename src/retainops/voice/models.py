"""Voice of the customer: survey definitions and their versions, the surveys sent, each
recipient's single-use invitation and answer, the follow-up a detractor opens, the
service team's observations, and the cross-team feedback meetings with their sessions
and action items.

A definition's questions are versioned like playbooks: an answer pins the version it
answered, so a later edit never changes what was said. Every timer (the invitation's
reminder, an action item's reminder and escalation, a follow-up's escalation) is a pair
of columns on its row, `*_due_at` and `*_fired_at`, claimed by the worker so each fires
once.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from retainops.core.choices import badge
from retainops.voice.choices import (
    ACTION_ITEM_STATE_COLOURS,
    FOLLOW_UP_STATE_COLOURS,
    INVITATION_STATE_COLOURS,
    SENTIMENT_COLOURS,
    SESSION_STATE_COLOURS,
    ActionItemState,
    FollowUpState,
    InvitationState,
    ObservationCategory,
    Sentiment,
    SessionState,
    SurveyKind,
)


class SurveyDefinition(models.Model):
    """A survey the agency sends (the quarterly NPS, the go-live CSAT...); its questions
    live in its versions."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    kind = models.CharField(max_length=10, choices=SurveyKind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> "SurveyVersion | None":
        return self.versions.order_by("-number").first()


class SurveyVersion(models.Model):
    """One stored version of a definition's questions; never edited once stored."""

    definition = models.ForeignKey(
        SurveyDefinition, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    questions = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="one_survey_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.definition} v{self.number}"


class Survey(models.Model):
    """One sending of a survey version to a client's contacts (by hand or by a playbook
    step), with the service line it asks about."""

    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="surveys")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="surveys")
    service_line = models.CharField(max_length=80, blank=True)
    cause = models.CharField(max_length=120, blank=True)
    # What the survey asks about when a playbook step sent it for a subject (a drop, a
    # program...): the subject type's code and the row's id. The app that owns the
    # subject shows its figures beside the answers (voice.survey_figures).
    about_type = models.CharField(max_length=40, blank=True)
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["client", "sent_at"]),
            models.Index(fields=["about_type", "about_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.version} to {self.client}"


class InvitationQuerySet(models.QuerySet["SurveyInvitation"]):
    def reminder_due(self, now: object) -> "InvitationQuerySet":
        return self.filter(
            reminder_fired_at__isnull=True, answered_at__isnull=True, reminder_due_at__lte=now
        )


class SurveyInvitation(FSMModelMixin, models.Model):
    """One recipient's single-use link to a survey. The link carries a signature over the
    row's id and nonce (voice/links.py); answering sets `answered_at` by compare-and-set,
    so a second answer is refused."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    name = models.CharField(max_length=160, blank=True)
    nonce = models.CharField(max_length=32)
    state = FSMField(
        max_length=10, choices=InvitationState.choices, default=InvitationState.SENT, protected=True
    )
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reminder_due_at = models.DateTimeField(null=True, blank=True)
    reminder_fired_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(
                fields=["reminder_due_at"],
                name="voice_reminder_pending",
                condition=Q(reminder_fired_at__isnull=True, answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} for {self.email}"

    @property
    def state_badge(self) -> dict:
        return badge(InvitationState, INVITATION_STATE_COLOURS, self.state)

    @transition(field=state, source=InvitationState.SENT, target=InvitationState.REMINDED)
    def remind(self) -> None:
        """The one reminder went out."""

    @transition(
        field=state,
        source=[InvitationState.SENT, InvitationState.REMINDED],
        target=InvitationState.ANSWERED,
    )
    def answer(self) -> None:
        """The recipient answered: the link is spent."""


class SurveyAnswer(models.Model):
    """What one recipient answered, against the version they were sent. `nps` and `csat`
    are copied out of `values` so the figures are sums over columns."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="+")
    values = models.JSONField()
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    theme = models.ForeignKey(
        "complaints.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [models.Index(fields=["client", "answered_at"])]

    def __str__(self) -> str:
        return f"answer to {self.survey}"

    @property
    def is_detractor(self) -> bool:
        return (self.nps is not None and self.nps <= 6) or (
            self.csat is not None and self.csat <= 2
        )


class DetractorRule(models.Model):
    """When a detractor's answer also opens a complaint, per unit (no unit: the default).
    Empty thresholds open none; a follow-up task is opened for every detractor."""

    business_unit = models.OneToOneField(
        "core.BusinessUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    complaint_at_nps = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Open a complaint for an NPS of this or lower."
    )
    complaint_at_csat = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Open a complaint for a CSAT of this or lower."
    )
    severity = models.CharField(max_length=10, default="medium")

    def __str__(self) -> str:
        return f"Detractor rule of {self.business_unit or 'every unit'}"


class FollowUp(FSMModelMixin, models.Model):
    """The account manager's task to call a detractor back, due within one business day;
    escalated to the unit's team leads when missed."""

    answer = models.OneToOneField(SurveyAnswer, on_delete=models.CASCADE, related_name="follow_up")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = FSMField(
        max_length=6, choices=FollowUpState.choices, default=FollowUpState.OPEN, protected=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["owner", "state", "due_at"])]

    def __str__(self) -> str:
        return f"Follow up {self.client}"

    @property
    def state_badge(self) -> dict:
        return badge(FollowUpState, FOLLOW_UP_STATE_COLOURS, self.state)

    @transition(field=state, source=FollowUpState.OPEN, target=FollowUpState.DONE)
    def complete(self) -> None:
        """The account manager spoke to the detractor."""


class Observation(models.Model):
    """What a customer told the service team about a client's program."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="observations"
    )
    program = models.ForeignKey(
        "onboarding.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=12, choices=ObservationCategory.choices)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    text = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    theme = models.ForeignKey(
        "complaints.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["client", "recorded_at"])]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def sentiment_badge(self) -> dict:
        return badge(Sentiment, SENTIMENT_COLOURS, self.sentiment)


class FeedbackSeries(models.Model):
    """A recurring feedback meeting of marketing, account management and the service team
    about one client (or one of its programs); its invitation is one recurring
    calendar event (messaging's meeting with an RFC 5545 rule)."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="feedback_series"
    )
    program = models.ForeignKey(
        "onboarding.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    every_days = models.PositiveSmallIntegerField(default=30)
    meeting = models.ForeignKey(
        "messaging.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "feedback series"

    def __str__(self) -> str:
        return self.title


class FeedbackSession(FSMModelMixin, models.Model):
    """One occurrence of a feedback meeting: its agenda as assembled when it was held, and
    its minutes."""

    series = models.ForeignKey(FeedbackSeries, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField()
    state = FSMField(
        max_length=8, choices=SessionState.choices, default=SessionState.PLANNED, protected=True
    )
    agenda = models.JSONField(default=list, blank=True)
    minutes = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return f"{self.series} on {self.starts_at:%Y-%m-%d}"

    @property
    def state_badge(self) -> dict:
        return badge(SessionState, SESSION_STATE_COLOURS, self.state)

    @transition(field=state, source=SessionState.PLANNED, target=SessionState.HELD)
    def hold(self) -> None:
        """The meeting took place; its minutes are recorded."""


class ActionItem(FSMModelMixin, models.Model):
    """Something a feedback meeting agreed to do: an owner and a due date; reminded the
    day before, escalated to the series owner when missed, and carried to every later
    meeting's agenda until done."""

    session = models.ForeignKey(
        FeedbackSession, on_delete=models.CASCADE, related_name="action_items"
    )
    series = models.ForeignKey(
        FeedbackSeries, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    state = FSMField(
        max_length=6, choices=ActionItemState.choices, default=ActionItemState.OPEN, protected=True
    )
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["owner", "state", "due_date"])]

    def __str__(self) -> str:
        return self.title

    @property
    def state_badge(self) -> dict:
        return badge(ActionItemState, ACTION_ITEM_STATE_COLOURS, self.state)

    @transition(field=state, source=ActionItemState.OPEN, target=ActionItemState.DONE)
    def complete(self) -> None:
        """Done: it leaves the agendas."""
