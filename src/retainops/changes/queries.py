"""Reads of change requests, scoped to the person asking: lists, the planner of pauses and
cancellations, the monthly view of contract changes, and the retention reports.

Reports, each over the requests the person can see, raised within [start, end):
- save rate: save attempts that kept the client (saved, saved with a change,
  paused) over all attempts, by reason and by month of the attempt;
- requests by kind and reason;
- approval cycle time per step: median hours from a step opening to its decision;
- revenue saved and lost: monthly revenue of clients a save attempt kept, and
  the monthly revenue that went away when requests took effect.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from retainops.changes.choices import SAVED_OUTCOMES, ChangeKind, ChangeStatus
from retainops.changes.models import ChangeRequest, SaveAttempt
from retainops.clients.queries import visible_clients
from retainops.playbooks.choices import StepKind, TaskState
from retainops.playbooks.models import Task

PLANNED_KINDS = (ChangeKind.CANCELLATION, ChangeKind.PAUSE)
LIVE_STATUSES = (
    ChangeStatus.SUBMITTED,
    ChangeStatus.APPROVED,
    ChangeStatus.PROCESSED,
    ChangeStatus.EFFECTIVE,
)


def visible_requests(user: Any) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(client__in=visible_clients(user)).select_related(
        "client__business_unit", "reason", "raised_by", "submitted_by"
    )


@dataclass
class RequestFilters:
    kind: str = ""
    status: str = ""
    business_unit: int | None = None
    client: int | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    search: str = ""


def filter_requests(user: Any, filters: RequestFilters) -> QuerySet[ChangeRequest]:
    requests = visible_requests(user)
    if filters.kind:
        requests = requests.filter(kind=filters.kind)
    if filters.status:
        requests = requests.filter(status=filters.status)
    if filters.business_unit is not None:
        requests = requests.filter(client__business_unit_id=filters.business_unit)
    if filters.client is not None:
        requests = requests.filter(client_id=filters.client)
    if filters.effective_from:
        requests = requests.filter(effective_date__gte=filters.effective_from)
    if filters.effective_to:
        requests = requests.filter(effective_date__lte=filters.effective_to)
    if filters.search:
        requests = requests.filter(
            Q(client__name__icontains=filters.search)
            | Q(notes__icontains=filters.search)
            | Q(reason_text__icontains=filters.search)
        )
    return requests


def planner(user: Any, filters: RequestFilters) -> QuerySet[ChangeRequest]:
    """Every pause and cancellation on its way or in effect, soonest effective date first."""
    requests = filter_requests(user, filters).filter(kind__in=PLANNED_KINDS)
    if not filters.status:
        requests = requests.filter(status__in=LIVE_STATUSES)
    return requests.order_by("effective_date", "client__name")


PLANNER_COLUMNS = [
    "client",
    "business_unit",
    "kind",
    "status",
    "effective_date",
    "reason",
    "credit_amount",
    "mrr_before",
    "submitted_by",
    "notes",
]


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a leading =, +, - or @ would make it a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def planner_rows(requests: QuerySet[ChangeRequest]) -> list[list[str]]:
    """The planner as spreadsheet rows (header first), for the CSV export."""
    rows = [PLANNER_COLUMNS]
    for r in requests:
        rows.append(
            [
                spreadsheet_safe(r.client.name),
                r.client.business_unit.name,
                r.get_kind_display(),
                r.get_status_display(),
                r.effective_date.isoformat(),
                r.reason.label,
                str(r.credit_amount),
                str(r.mrr_before),
                str(r.submitted_by or ""),
                spreadsheet_safe(r.notes),
            ]
        )
    return rows


def monthly_contract_changes(
    user: Any, filters: RequestFilters
) -> list[tuple[date, list[ChangeRequest]]]:
    """Approved contract changes grouped by the month they take effect."""
    requests = (
        filter_requests(user, filters)
        .filter(kind=ChangeKind.CONTRACT_CHANGE, status__in=LIVE_STATUSES[1:])
        .prefetch_related("lines__service")
        .order_by("effective_date", "client__name")
    )
    months: dict[date, list[ChangeRequest]] = defaultdict(list)
    for request in requests:
        months[request.effective_date.replace(day=1)].append(request)
    return sorted(months.items())


# Reports ----------------------------------------------------------------------------------


@dataclass
class Rate:
    attempts: int = 0
    saved: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.saved / self.attempts, 3) if self.attempts else None


@dataclass
class Reports:
    save_rate: Rate
    save_rate_by_reason: dict[str, Rate] = field(default_factory=dict)
    save_rate_by_month: dict[str, Rate] = field(default_factory=dict)
    requests_by_kind_and_reason: list[dict[str, Any]] = field(default_factory=list)
    approval_hours_by_step: dict[str, float] = field(default_factory=dict)
    revenue_saved: Decimal = Decimal("0")
    revenue_lost: Decimal = Decimal("0")


def reports(user: Any, *, start: date | None = None, end: date | None = None) -> Reports:
    requests = visible_requests(user)
    if start:
        requests = requests.filter(raised_at__date__gte=start)
    if end:
        requests = requests.filter(raised_at__date__lt=end)
    attempts = SaveAttempt.objects.filter(request__in=requests).select_related(
        "request__reason", "request"
    )
    result = Reports(save_rate=Rate())
    saved_requests: dict[int, Decimal] = {}
    for attempt in attempts:
        kept = attempt.outcome in SAVED_OUTCOMES
        month = timezone.localtime(attempt.at).strftime("%Y-%m")
        for rate in (
            result.save_rate,
            result.save_rate_by_reason.setdefault(attempt.request.reason.label, Rate()),
            result.save_rate_by_month.setdefault(month, Rate()),
        ):
            rate.attempts += 1
            rate.saved += kept
        if kept:
            saved_requests[attempt.request_id] = attempt.request.mrr_before
    result.revenue_saved = sum(saved_requests.values(), Decimal("0"))
    result.requests_by_kind_and_reason = [
        dict(row)
        for row in requests.values("kind", "reason__label")
        .annotate(count=Count("id"))
        .order_by("kind", "reason__label")
    ]
    result.approval_hours_by_step = approval_cycle_hours(requests)
    effective = requests.filter(status=ChangeStatus.EFFECTIVE)
    result.revenue_lost = sum(
        (max(r.mrr_before - r.mrr_after, Decimal("0")) for r in effective), Decimal("0")
    )
    return result


def approval_cycle_hours(requests: QuerySet[ChangeRequest]) -> dict[str, float]:
    """Median hours each approval step took, from opening to decision."""
    tasks = Task.objects.filter(
        run__subject_type="change_request",
        run__subject_id__in=requests.values("pk"),
        kind=StepKind.APPROVAL,
        state=TaskState.DONE,
    ).only("title", "opened_at", "closed_at")
    hours: dict[str, list[float]] = defaultdict(list)
    for task in tasks:
        if task.opened_at and task.closed_at:
            hours[task.title].append((task.closed_at - task.opened_at).total_seconds() / 3600)
    return {title: round(statistics.median(values), 1) for title, values in hours.items()}


def save_attempts_by_month(user: Any) -> list[dict[str, Any]]:
    """Attempts and saves per month (for a chart)."""
    rows = (
        SaveAttempt.objects.filter(request__in=visible_requests(user))
        .annotate(month=TruncMonth("at"))
        .values("month")
        .annotate(
            attempts=Count("id"),
            saved=Count("id", filter=Q(outcome__in=[o.value for o in SAVED_OUTCOMES])),
        )
        .order_by("month")
    )
    return [dict(row) for row in rows]
