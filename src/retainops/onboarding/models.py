"""Sold programs, their purchase orders, what each service needs, the client portal and
the creative and targeting proofs the client approves.

What a purchase order must hold is configuration: `DetailRequirement` rows per
service of the catalogue (or for every program), edited by administrators. The
order itself is `Program.details`, a mapping from requirement key to value.
"""

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from retainops.core.choices import badge
from retainops.onboarding.choices import (
    PROGRAM_STATUS_COLOURS,
    PROOF_DECISION_COLOURS,
    DetailKind,
    ProgramStatus,
    ProofDecision,
    ProofKind,
)

P = ProgramStatus


class DetailRequirement(models.Model):
    """A detail the agency needs before it can start a service (or any program, when
    `service` is empty): targeting, geography, creative specifications, landing pages..."""

    service = models.ForeignKey(
        "clients.ServiceLine",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="requirements",
        help_text="Empty: every program needs it.",
    )
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=160)
    kind = models.CharField(max_length=12, choices=DetailKind.choices, default=DetailKind.TEXT)
    choices = models.JSONField(default=list, blank=True, help_text="For 'one of a list'.")
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = [models.F("service__name").asc(nulls_first=True), "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="one_requirement_per_key"),
        ]

    def __str__(self) -> str:
        scope = self.service.name if self.service_id and self.service else "Every program"
        return f"{scope}: {self.label}"


class Program(ConcurrentTransitionMixin, models.Model):
    """A program sold to a client: services, budget, flight dates, and its purchase order."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(max_length=200)
    status = FSMField(max_length=12, choices=ProgramStatus.choices, default=P.DRAFT, protected=True)
    services = models.ManyToManyField(
        "clients.ServiceLine", through="ProgramService", related_name="programs"
    )
    start_date = models.DateField(help_text="First day of the flight.")
    end_date = models.DateField(help_text="Last day of the flight.")
    details = models.JSONField(default=dict, blank=True, help_text="The purchase order.")
    sold_at = models.DateTimeField(null=True, blank=True)
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    go_live_at = models.DateTimeField(
        null=True, blank=True, help_text="Planned go-live; the actual one once live."
    )
    went_live_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "sold_at"]), models.Index(fields=["client"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.client})"

    @property
    def status_badge(self) -> dict:
        return badge(ProgramStatus, PROGRAM_STATUS_COLOURS, self.status)

    @property
    def business_unit_id(self) -> int:
        return int(self.client.business_unit_id)

    @transition(field=status, source=P.DRAFT, target=P.SOLD)
    def mark_sold(self) -> None:
        """The order is signed; onboarding starts."""

    @transition(field=status, source=P.SOLD, target=P.LIVE)
    def go_live(self) -> None:
        """The campaign is live."""

    @transition(field=status, source=P.LIVE, target=P.ENDED)
    def end(self) -> None:
        """The flight is over."""

    @transition(field=status, source=[P.DRAFT, P.SOLD, P.LIVE], target=P.CANCELLED)
    def cancel(self) -> None:
        """The program will not run (or stops early)."""


class ProgramService(models.Model):
    """A service of a program, with its monthly budget."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey("clients.ServiceLine", on_delete=models.PROTECT, related_name="+")
    monthly_budget = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["service__name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "service"], name="one_line_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.monthly_budget}"


def portal_link_expiry() -> Any:
    return timezone.now() + timedelta(days=settings.PORTAL_LINK_DAYS)


class PortalLink(models.Model):
    """A link that lets a client's contacts see one program without a staff account.

    The token in the link is this row's `uid`, signed with the site's secret key:
    nothing secret is stored, the link can be shown again, and a revoked or
    expired row makes the token worthless.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="portal_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=portal_link_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"portal link for {self.program}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Proof(models.Model):
    """A piece of creative or targeting the client approves; its files are its versions."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="proofs")
    kind = models.CharField(max_length=10, choices=ProofKind.choices)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["program", "kind", "title"], name="one_proof_per_title")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def latest(self) -> "ProofVersion | None":
        return self.versions.order_by("-number").first()


def _says_what_to_change(version: Any) -> bool:
    return bool(version.comment.strip())


class ProofVersion(ConcurrentTransitionMixin, models.Model):
    """One uploaded version of a proof, and what the client said of it: pending until a
    contact approves it or sends it back (with a comment saying what to change)."""

    proof = models.ForeignKey(Proof, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    content = models.BinaryField()
    note = models.TextField(blank=True, help_text="What changed, from the agency.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    decision = FSMField(
        max_length=10, choices=ProofDecision.choices, default=ProofDecision.PENDING, protected=True
    )
    comment = models.TextField(blank=True)
    decided_by = models.CharField(max_length=200, blank=True, help_text="The contact who decided.")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proof", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["proof", "number"], name="one_number_per_proof_version")
        ]

    def __str__(self) -> str:
        return f"{self.proof} v{self.number}"

    @property
    def decision_badge(self) -> dict:
        return badge(ProofDecision, PROOF_DECISION_COLOURS, self.decision)

    # Decided by a client contact through the portal, not by a staff account: the
    # portal link is the permission, checked by the service.
    @transition(field=decision, source=ProofDecision.PENDING, target=ProofDecision.APPROVED)
    def approve(self) -> None:
        """The client accepts this version."""

    @transition(
        field=decision,
        source=ProofDecision.PENDING,
        target=ProofDecision.CHANGES,
        conditions=[_says_what_to_change],
    )
    def send_back(self) -> None:
        """The client asks for changes, saying which."""
