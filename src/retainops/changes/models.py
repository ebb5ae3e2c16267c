"""Change requests (retention, cancellation, pause, contract change), the save attempts
recorded on them, the approval routes that pick their playbook, and offboarding.

The approval chain itself is a playbook (approval steps, each owned by a role or
a person, with conditions such as `credit_amount > 0`), chosen per business unit
and kind by an `ApprovalRoute`: configuration, not code.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, can_proceed, transition
from simple_history.models import HistoricalRecords

from retainops.changes.choices import (
    CHANGE_STATUS_COLOURS,
    ChangeKind,
    ChangeStatus,
    Escalation,
    LineAction,
    RemovalState,
    SaveOutcome,
)
from retainops.core.capabilities import Capability
from retainops.core.choices import RoleCode, badge

S = ChangeStatus
RS = RemovalState

# What a save call, a hand-over or a withdrawal can still change: a request not yet
# decided. Once approved (or processed by accounting) it only takes its course, and a
# call logged then would count in the save rate though it saved nothing.
TAKES_SAVE_CALLS = (S.DRAFT, S.RETURNED, S.SUBMITTED)
# Handed over to be submitted by an account manager: only before submission.
TAKES_HAND_OVER = (S.DRAFT, S.RETURNED)


class ChangeReason(models.Model):
    """A reason a client gives (budget cut, switching agency, poor results...); configurable."""

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=160)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class ApprovalRoute(models.Model):
    """Which playbook approves a kind of request in a business unit (empty: any)."""

    business_unit = models.ForeignKey(
        "core.BusinessUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ChangeKind.choices, blank=True)
    playbook = models.ForeignKey("playbooks.Playbook", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["business_unit__name", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_unit", "kind"], name="one_route_per_unit_kind"
            )
        ]

    def __str__(self) -> str:
        unit = self.business_unit or "every unit"
        return f"{self.get_kind_display() or 'every kind'} in {unit}: {self.playbook}"


class ChangeRequest(ConcurrentTransitionMixin, models.Model):
    """What a client asked to change, who escalated it, and where it stands."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="change_requests"
    )
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    status = FSMField(max_length=12, choices=ChangeStatus.choices, default=S.DRAFT, protected=True)
    reason = models.ForeignKey(ChangeReason, on_delete=models.PROTECT, related_name="+")
    reason_text = models.TextField(blank=True)
    escalation = models.CharField(max_length=20, choices=Escalation.choices)
    effective_date = models.DateField()
    credit_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    leaves_platform = models.BooleanField(
        default=False, help_text="Cancelling everything: remove it from platform-wide tools too."
    )
    notes = models.TextField(blank=True, help_text="The consolidated change notes.")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="An account manager the retention team handed the request to.",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    mrr_before = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    mrr_after = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["status", "effective_date"]),
            models.Index(fields=["kind", "effective_date"]),
            models.Index(fields=["client", "-raised_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.client}"

    @property
    def status_badge(self) -> dict:
        return badge(ChangeStatus, CHANGE_STATUS_COLOURS, self.status)

    @property
    def retention_called(self) -> bool:
        return self.escalation == Escalation.RETENTION_TEAM

    # The one rule of which state allows a call, a hand-over or a withdrawal: the request
    # page offers the forms (permissions.py) and the services refuse by these.

    def takes_save_calls(self) -> bool:
        return self.status in TAKES_SAVE_CALLS

    def takes_hand_over(self) -> bool:
        return self.status in TAKES_HAND_OVER

    def takes_withdrawal(self) -> bool:
        return bool(can_proceed(self.withdraw))

    @transition(field=status, source=[S.DRAFT, S.RETURNED], target=S.SUBMITTED)
    def submit(self) -> None:
        """Sent into its approval chain."""

    @transition(field=status, source=S.SUBMITTED, target=S.RETURNED)
    def return_to_submitter(self) -> None:
        """An approver rejected it; its submitter may change and resubmit it."""

    @transition(field=status, source=S.SUBMITTED, target=S.APPROVED)
    def approve(self) -> None:
        """Every approval step agreed."""

    @transition(field=status, source=S.APPROVED, target=S.PROCESSED)
    def process(self) -> None:
        """Accounting updated the records."""

    @transition(field=status, source=[S.APPROVED, S.PROCESSED], target=S.EFFECTIVE)
    def take_effect(self) -> None:
        """The effective date came: status and contract lines changed."""

    @transition(field=status, source=[S.DRAFT, S.RETURNED, S.SUBMITTED], target=S.WITHDRAWN)
    def withdraw(self) -> None:
        """No longer wanted (the client stayed, or it was raised by mistake)."""


class ChangeLine(models.Model):
    """A contract line the request changes: a service added, removed, or its budget changed."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey("clients.ServiceLine", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=LineAction.choices)
    monthly_budget = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="The new monthly budget (add, budget).",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["service__name"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.service}"


class SaveAttempt(models.Model):
    """A retention call on a request: who made it, when, and how it ended."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="saves")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=SaveOutcome.choices)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} by {self.by}"


def reports_removals(removal: Any, user: Any) -> bool:
    """The partner team (or a department manager, or a supervisor) reports a removal."""
    roles = {RoleCode.PARTNER_TEAM, RoleCode.DEPARTMENT_MANAGER} & user.role_codes()
    return bool(roles) or bool(user.has_capability(Capability.SUPERVISE_TASKS))


def verifies_removals(user: Any) -> bool:
    return RoleCode.DEPARTMENT_MANAGER in user.role_codes() or bool(user.is_superuser)


def verifies_this_removal(removal: Any, user: Any) -> bool:
    """A department manager verifies a removal someone else reported: a second pair of eyes."""
    return verifies_removals(user) and removal.removed_by_id != user.pk


class Removal(ConcurrentTransitionMixin, models.Model):
    """One line of the offboarding checklist: take the client out of a tool, then verify."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="removals")
    tool = models.ForeignKey("clients.Tool", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=200, blank=True)
    state = FSMField(
        max_length=10, choices=RemovalState.choices, default=RS.PENDING, protected=True
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["tool__name"]
        constraints = [
            models.UniqueConstraint(fields=["request", "tool"], name="one_removal_per_tool")
        ]

    def __str__(self) -> str:
        return f"{self.tool}: {self.get_state_display()}"

    @transition(field=state, source=RS.PENDING, target=RS.REMOVED, permission=reports_removals)
    def mark_removed(self, by: Any) -> None:
        """The client is out of the tool; who did it is kept for the verification."""
        self.removed_by, self.removed_at = by, timezone.now()

    @transition(
        field=state, source=RS.REMOVED, target=RS.VERIFIED, permission=verifies_this_removal
    )
    def verify(self, by: Any) -> None:
        self.verified_by, self.verified_at = by, timezone.now()
