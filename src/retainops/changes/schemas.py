"""Schemas of the change-request API: what callers send and read about change requests,
their retention calls, offboarding, the planner, the monthly view and the reports; and
about the reasons and approval routes that configure them.

An answer's fields that need more than an attribute (usernames, a request's lines, save
attempts, removals and approval runs) are resolved here, from the row the endpoint returns.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch
from ninja import Schema
from pydantic import Field

from retainops.changes.choices import ChangeKind, ChangeStatus, Escalation, LineAction, SaveOutcome
from retainops.changes.models import ApprovalRoute, ChangeRequest, Removal, SaveAttempt
from retainops.core.models import User
from retainops.core.schemas import Id
from retainops.playbooks.models import Run, Task

# The subject type of a request's approval runs.
SUBJECT = "change_request"


# What callers send ----------------------------------------------------------------------


class ChangeLineIn(Schema):
    service: str = Field(description="Code of the service line")
    action: LineAction
    monthly_budget: Decimal | None = Field(
        None, ge=0, max_digits=12, decimal_places=2, description="The new budget (add, budget)"
    )


class ChangeRequestIn(Schema):
    client: Id = Field(description="Id of the client")
    kind: ChangeKind
    reason: str = Field(description="Code of the reason (GET /change-reasons)")
    escalation: Escalation
    effective_date: date
    reason_text: str = ""
    credit_amount: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    leaves_platform: bool = Field(False, description="A cancellation leaving the platform")
    notes: str = Field("", description="The consolidated change notes")
    lines: list[ChangeLineIn] = Field(
        default_factory=list, description="Required for a contract change"
    )


class ChangeRequestPatch(Schema):
    """Only the fields sent change; `lines`, when sent, replaces every line."""

    reason: str | None = Field(None, description="Code of the reason")
    reason_text: str | None = None
    effective_date: date | None = None
    credit_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    leaves_platform: bool | None = None
    notes: str | None = None
    lines: list[ChangeLineIn] | None = None


class RequestQuery(Schema):
    kind: ChangeKind | None = None
    status: ChangeStatus | None = None
    unit: Id | None = Field(None, description="Id of the business unit")
    client: Id | None = Field(None, description="Id of the client")
    effective_from: date | None = Field(None, description="Effective on or after")
    effective_to: date | None = Field(None, description="Effective on or before")
    search: str = Field("", description="Part of the client's name or of the notes")


class PlannerQuery(RequestQuery):
    format: Literal["json", "csv"] = "json"


class ReportQuery(Schema):
    start: date | None = Field(None, alias="from", description="Raised on or after")
    end: date | None = Field(None, alias="to", description="Raised before")


class SaveAttemptIn(Schema):
    outcome: SaveOutcome
    notes: str = ""
    at: datetime | None = Field(
        None,
        description="When the call was made, for one recorded afterwards (not in the future, "
        "not before the request was raised); left out: now. Without a zone: the site's time.",
    )


class HandOverIn(Schema):
    to: str = Field(description="Username of the account manager who takes the request")


class WithdrawIn(Schema):
    reason: str = Field("", description="Why it is withdrawn (required)")


class ReasonQuery(Schema):
    retired: bool = Field(False, description="List the retired reasons too")


class ReasonIn(Schema):
    code: str = Field(description="Names the reason in the API: letters, digits, hyphens")
    label: str
    is_active: bool = Field(True, description="Offered when raising a request")


class ReasonPatch(Schema):
    """Only the fields sent change."""

    code: str | None = None
    label: str | None = None
    is_active: bool | None = None


class RouteIn(Schema):
    business_unit: str | None = Field(
        None, description="Code of the business unit; null for every unit"
    )
    kind: ChangeKind | None = Field(None, description="Null for every kind")
    playbook: str = Field(description="Key of a playbook on the change_request subject")


# What callers read ----------------------------------------------------------------------


class ClientRefOut(Schema):
    id: int
    name: str


class ReasonOut(Schema):
    code: str
    label: str


class ReasonListedOut(ReasonOut):
    is_active: bool


class RouteOut(Schema):
    id: int
    business_unit: str | None = Field(description="Code of the unit; null for every unit")
    kind: str | None = Field(description="Null for every kind")
    playbook: str = Field(alias="playbook.key")

    @staticmethod
    def resolve_business_unit(obj: ApprovalRoute) -> str | None:
        return obj.business_unit.code if obj.business_unit else None

    @staticmethod
    def resolve_kind(obj: ApprovalRoute) -> str | None:
        return obj.kind or None


class ChangeLineOut(Schema):
    service: str = Field(alias="service.code")
    service_name: str = Field(alias="service.name")
    action: str
    monthly_budget: Decimal | None


class SaveAttemptOut(Schema):
    id: int
    by: str = Field(alias="by.username")
    at: datetime
    outcome: str
    notes: str


class RemovalOut(Schema):
    id: int
    tool: str = Field(alias="tool.code")
    tool_name: str = Field(alias="tool.name")
    reference: str
    state: str
    removed_by: str | None
    removed_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None

    @staticmethod
    def resolve_removed_by(obj: Removal) -> str | None:
        return obj.removed_by.username if obj.removed_by else None

    @staticmethod
    def resolve_verified_by(obj: Removal) -> str | None:
        return obj.verified_by.username if obj.verified_by else None


class ApprovalTaskOut(Schema):
    id: int = Field(description="Id to decide with POST /tasks/{id}/decide")
    step_key: str
    title: str
    kind: str
    state: str
    owner: str = Field(alias="owner_label")
    decision: str | None
    comment: str = Field(alias="note", description="The decision's comment or the task's note")
    closed_by: str | None
    closed_at: datetime | None

    @staticmethod
    def resolve_decision(obj: Task) -> str | None:
        return obj.decision or None

    @staticmethod
    def resolve_closed_by(obj: Task) -> str | None:
        return obj.closed_by.username if obj.closed_by else None


class ApprovalRunOut(Schema):
    id: int
    playbook: str = Field(alias="version.playbook.key")
    state: str
    started_at: datetime
    ended_at: datetime | None
    tasks: list[ApprovalTaskOut]

    @staticmethod
    def resolve_tasks(obj: Run) -> list[Task]:
        return list(obj.tasks.all())


def _username(user: User | None) -> str | None:
    return user.username if user else None


class ChangeRequestSummaryOut(Schema):
    id: int
    client: ClientRefOut
    business_unit: str = Field(alias="client.business_unit.name")
    kind: str
    status: str
    reason: ReasonOut
    escalation: str
    effective_date: date
    credit_amount: Decimal
    mrr_before: Decimal
    raised_by: str = Field(alias="raised_by.username")
    raised_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None

    @staticmethod
    def resolve_submitted_by(obj: ChangeRequest) -> str | None:
        return _username(obj.submitted_by)


class MonthlyRequestOut(ChangeRequestSummaryOut):
    lines: list[ChangeLineOut]

    @staticmethod
    def resolve_lines(obj: ChangeRequest) -> list[Any]:
        return list(obj.lines.all())


class ChangeRequestOut(MonthlyRequestOut):
    reason_text: str
    leaves_platform: bool
    notes: str
    assigned_to: str | None
    returned_reason: str
    approved_at: datetime | None
    effective_at: datetime | None
    mrr_after: Decimal
    save_attempts: list[SaveAttemptOut]
    removals: list[RemovalOut]
    approval_runs: list[ApprovalRunOut] = Field(description="Oldest first, with their tasks")

    @staticmethod
    def resolve_assigned_to(obj: ChangeRequest) -> str | None:
        return _username(obj.assigned_to)

    @staticmethod
    def resolve_save_attempts(obj: ChangeRequest) -> list[SaveAttempt]:
        return list(obj.saves.all())

    @staticmethod
    def resolve_removals(obj: ChangeRequest) -> list[Removal]:
        return list(obj.removals.all())

    @staticmethod
    def resolve_approval_runs(obj: ChangeRequest) -> list[Run]:
        tasks = Task.objects.select_related("assignee", "queue_team", "closed_by").order_by("id")
        runs = Run.objects.filter(subject_type=SUBJECT, subject_id=obj.pk)
        return list(
            runs.select_related("version__playbook")
            .prefetch_related(Prefetch("tasks", queryset=tasks))
            .order_by("id")
        )


class MonthOut(Schema):
    month: date = Field(description="First day of the month the changes take effect")
    requests: list[MonthlyRequestOut]


class RateOut(Schema):
    requests: int = Field(description="Requests the retention team called on")
    saved: int = Field(description="Of them, those whose final outcome kept the client")
    attempts: int = Field(description="The retention team's calls on them")
    rate: float | None = Field(description="saved / requests; null without a request")


class KindReasonOut(Schema):
    kind: str
    reason: str = Field(alias="reason__label")
    count: int


class ReportsOut(Schema):
    save_rate: RateOut
    save_rate_by_reason: dict[str, RateOut]
    save_rate_by_month: dict[str, RateOut]
    requests_by_kind_and_reason: list[KindReasonOut]
    approval_hours_by_step: dict[str, float] = Field(description="Step title -> median hours")
    revenue_saved: Decimal = Field(
        description="MRR kept: each request's MRR when raised, split by its final outcome"
    )
    revenue_lost: Decimal = Field(description="The rest of that MRR: what went away")
