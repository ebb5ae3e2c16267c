"""The record of the agency's clients: accounts, their team, contacts, tools and contracts.

Statuses are state machines (django-fsm-2, protected fields): only the
transition methods below change them, and services call those methods after
checking who is asking.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from retainops.clients.choices import (
    CLIENT_STATUS_COLOURS,
    CONTRACT_STATUS_COLOURS,
    ClientStatus,
    ContractStatus,
    ToolKind,
)
from retainops.core.choices import badge
from retainops.core.models import BusinessUnit, Role

S = ClientStatus
C = ContractStatus


class ServiceLine(models.Model):
    """An entry of the service catalogue (targeted display, SEO, SEM, OTT...)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tool(models.Model):
    """A tool or board a client can be set up in; offboarding removes the client from it.

    ``platform_exit_only`` marks tools the client keeps unless it leaves the
    agency's platform entirely.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=ToolKind.choices, default=ToolKind.TOOL)
    platform_exit_only = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(ConcurrentTransitionMixin, models.Model):
    """An account of the agency, in one business unit, with a status life cycle.

    ``mrr`` is stored, not computed on reading: the client list sorts and pages by it,
    and a sum over every client's lines on each request grows with the agency. It is
    the budgets of the lines of the client's active contracts, and only
    ``services.refresh_mrr`` writes it (every path that changes a line or a contract's
    status calls it); ``save()`` never writes it, so an instance read before such a
    change cannot put an old figure back.
    """

    name = models.CharField(max_length=200)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="clients"
    )
    status = FSMField(
        max_length=20, choices=ClientStatus.choices, default=S.ONBOARDING, protected=True
    )
    external_id = models.CharField(
        max_length=80, blank=True, help_text="The account's id in the CRM, used by imports."
    )
    website = models.URLField(blank=True)
    industry = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    sold_on = models.DateField(null=True, blank=True)
    mrr = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        editable=False,
        help_text="Monthly recurring revenue: the lines of the active contracts (stored).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The stored MRR follows the contract lines, whose own history says what changed.
    history = HistoricalRecords(excluded_fields=["updated_at", "mrr"])

    class Meta:
        ordering = ["name", "id"]
        # The list's sorts read ids from an index in order (see queries.client_page):
        # the unit first for people who see one unit, the sort alone for those who see all.
        indexes = [
            models.Index(fields=["business_unit", "status", "name"]),
            models.Index(fields=["status", "name"]),
            models.Index(fields=["name"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["business_unit", "name", "id"], name="client_unit_name"),
            models.Index(fields=["business_unit", "mrr", "name", "id"], name="client_unit_mrr"),
            models.Index(fields=["mrr", "name", "id"], name="client_mrr"),
            # The search's CRM id match: UPPER(x) = UPPER(term) on both databases.
            models.Index(Upper("external_id"), name="client_external_id_upper"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["business_unit", "external_id"],
                condition=~Q(external_id=""),
                name="client_external_id_unique_per_unit",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save every field but the stored MRR when updating (see the class docstring)."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "mrr"
            ]
        super().save(*args, **kwargs)

    @property
    def status_badge(self) -> dict:
        return badge(ClientStatus, CLIENT_STATUS_COLOURS, self.status)

    # Transitions: the services check capabilities; these only say what may follow what.
    @transition(field=status, source=S.ONBOARDING, target=S.ACTIVE)
    def go_live(self) -> None:
        """The client's first program is live."""

    @transition(field=status, source=S.ACTIVE, target=S.PAUSED)
    def pause(self) -> None:
        """Service is paused; tools stay in place."""

    @transition(field=status, source=S.PAUSED, target=S.ACTIVE)
    def resume(self) -> None:
        """A paused client is served again."""

    @transition(field=status, source=[S.ONBOARDING, S.ACTIVE, S.PAUSED], target=S.CANCELLING)
    def give_notice(self) -> None:
        """The client has asked to cancel; service runs until the effective date."""

    @transition(field=status, source=S.CANCELLING, target=S.ACTIVE)
    def withdraw_notice(self) -> None:
        """The client was saved before the effective date."""

    @transition(field=status, source=S.CANCELLING, target=S.CANCELLED)
    def cancel(self) -> None:
        """The effective date of a cancellation has passed."""

    @transition(field=status, source=S.CANCELLED, target=S.ONBOARDING)
    def win_back(self) -> None:
        """A former client buys again."""


# The transitions a person may choose on a client page, in display order.
CLIENT_TRANSITIONS: dict[str, str] = {
    "go_live": "Mark live",
    "pause": "Pause",
    "resume": "Resume",
    "give_notice": "Record cancellation notice",
    "withdraw_notice": "Withdraw notice (saved)",
    "cancel": "Cancel",
    "win_back": "Win back",
}


class ClientTeamMember(models.Model):
    """A person of the agency in a role on one client's team (its AM, CSM, sales rep...)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="team")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["role__label"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "role"], name="one_person_per_role_per_client"
            )
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.role}: {self.user}"


class Contact(models.Model):
    """A person at the client the agency talks to."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=160)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=120, blank=True)
    is_primary = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "email"], name="contact_email_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ClientTool(models.Model):
    """That a client is set up in a tool or board (and under which reference)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tools")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["tool__name"]
        constraints = [models.UniqueConstraint(fields=["client", "tool"], name="client_tool_once")]

    def __str__(self) -> str:
        return f"{self.client} in {self.tool}"


currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. USD.")


class Contract(ConcurrentTransitionMixin, models.Model):
    """An agreement with a client: a term, a currency and service lines with budgets."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contracts")
    reference = models.CharField(max_length=80)
    currency = models.CharField(max_length=3, default="USD", validators=[currency_code])
    start_date = models.DateField()
    term_months = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    renewal_date = models.DateField(null=True, blank=True)
    status = FSMField(
        max_length=20, choices=ContractStatus.choices, default=C.DRAFT, protected=True
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["client", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["client", "reference"], name="contract_ref_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.client})"

    @property
    def status_badge(self) -> dict:
        return badge(ContractStatus, CONTRACT_STATUS_COLOURS, self.status)

    def monthly_total(self) -> Decimal:
        return sum((line.monthly_budget for line in self.lines.all()), Decimal("0"))

    @transition(field=status, source=C.DRAFT, target=C.ACTIVE)
    def activate(self) -> None:
        """The contract is signed and running."""

    @transition(field=status, source=C.ACTIVE, target=C.PAUSED)
    def pause(self) -> None:
        """Billing and service are paused."""

    @transition(field=status, source=C.PAUSED, target=C.ACTIVE)
    def resume(self) -> None:
        """A paused contract runs again."""

    @transition(field=status, source=[C.ACTIVE, C.PAUSED], target=C.ENDED)
    def end(self) -> None:
        """The term ran out without renewal."""

    @transition(field=status, source=[C.DRAFT, C.ACTIVE, C.PAUSED], target=C.CANCELLED)
    def cancel(self) -> None:
        """The client cancelled."""


CONTRACT_TRANSITIONS: dict[str, str] = {
    "activate": "Activate",
    "pause": "Pause",
    "resume": "Resume",
    "end": "End",
    "cancel": "Cancel",
}


class ContractLine(models.Model):
    """One service of a contract and its monthly budget."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey(ServiceLine, on_delete=models.PROTECT, related_name="+")
    monthly_budget = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "service"], name="service_once_per_contract"
            )
        ]
        indexes = [models.Index(fields=["service", "contract"])]

    def __str__(self) -> str:
        return f"{self.service}: {self.monthly_budget}"


def field_changes(record: Any) -> list[dict[str, Any]]:
    """The fields a historical record changed compared with the one before it."""
    previous = record.prev_record
    if previous is None:
        return []
    delta = record.diff_against(previous)
    return [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]
