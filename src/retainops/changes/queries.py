"""Reads of change requests, scoped to the person asking: lists, the planner of pauses and
cancellations, the monthly view of contract changes, a request's history, and the
retention reports.

Reports, each over the requests the person can see, raised within [start, end), counting
requests, not calls: each request counts once, by its final outcome:
- a request that took effect, by what happened: a cancellation is lost, a pause is
  paused, a retention or contract change is saved (with a change when its MRR moved);
- otherwise, by its latest save attempt (saved as is, saved with a change, paused,
  lost); a withdrawn request whose last call said lost is not counted (the client did
  not leave through it), nor is a request without a call that has not taken effect.
- save rate: the retention team's, so over the requests someone holding the
  retention_team role called on: those whose final outcome kept the client (saved,
  saved with a change, paused) over all of them; by reason, and by the month of the
  team's latest call on each;
- requests by kind and reason;
- approval cycle time per step: median hours from a step opening to its decision;
- revenue saved and lost, over every request with a final outcome whoever called:
  each splits its MRR when raised (mrr_before) between saved and lost:
    saved as is          saved mrr_before
    saved with a change  saved the new MRR (at most mrr_before), lost the rest; the new
                         MRR is the one it took effect with, or before that the MRR its
                         lines would leave on the client's active contract
    paused               saved mrr_before: the contract resumes at it (MRR is a monthly
                         rate, so the months paused are not counted as lost)
    lost                 lost mrr_before
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from retainops.changes.choices import (
    SAVED_OUTCOMES,
    ChangeKind,
    ChangeStatus,
    LineAction,
    RemovalState,
    SaveOutcome,
)
from retainops.changes.models import ChangeRequest, Removal, SaveAttempt
from retainops.clients.choices import ContractStatus
from retainops.clients.models import Contract
from retainops.clients.queries import visible_clients
from retainops.core.choices import RoleCode
from retainops.core.models import User
from retainops.core.spreadsheets import csv_safe
from retainops.playbooks.choices import StepKind, TaskState
from retainops.playbooks.models import Run, Task

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


def status_counts(user: Any, filters: RequestFilters) -> dict[str, int]:
    """Requests per status among those the person sees that the other filters keep."""
    others = filter_requests(user, replace(filters, status="")).order_by()
    counts = dict.fromkeys(ChangeStatus.values, 0)
    for row in others.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


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


def planner_rows(requests: QuerySet[ChangeRequest]) -> list[list[str]]:
    """The planner as spreadsheet rows (header first), for the CSV export (whose writer,
    core.spreadsheets.write_csv, keeps formula-like text from running)."""
    rows = [PLANNER_COLUMNS]
    for r in requests:
        rows.append(
            [
                csv_safe(r.client.name),
                r.client.business_unit.name,
                r.get_kind_display(),
                r.get_status_display(),
                r.effective_date.isoformat(),
                r.reason.label,
                str(r.credit_amount),
                str(r.mrr_before),
                str(r.submitted_by or ""),
                csv_safe(r.notes),
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


# A request's history --------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to a request: when, who, what. At the same moment a
    decision (rank 0) comes before what it caused to the request (rank 1), each source
    in the order it was written (seq)."""

    when: datetime
    who: Any
    what: str
    rank: int = 1
    seq: int = 0


# How the request's own history rows ("status: submitted"...) read on its page.
STATUS_WORDS = {
    "submitted": "Submitted for approval",
    "approved": "Approved",
    "returned": "Returned to its submitter",
    "processed": "Processed by accounting",
    "effective": "In effect",
}


def _reason_text(reason: str) -> str:
    if reason.startswith("status: "):
        status, _, rest = reason.removeprefix("status: ").partition("; ")
        return STATUS_WORDS.get(status, status) + (f": {rest}" if rest else "")
    return reason[:1].upper() + reason[1:] if reason else "Changed"


def request_history(request: ChangeRequest) -> list[HistoryEntry]:
    """What happened to the request, oldest first: its own changes (raised, edited,
    submitted, approved, returned with the reason, withdrawn, processed, in effect), the
    save attempts, each approval decision with its comment and each task done, and the
    offboarding removals and their verifications."""
    entries: list[HistoryEntry] = []
    rows = ChangeRequest.history.filter(id=request.pk).select_related("history_user")
    for seq, row in enumerate(rows.order_by("history_date", "history_id")):
        what = _reason_text(row.history_change_reason or "")
        if row.history_change_reason == "status: returned" and row.returned_reason:
            what += f": {row.returned_reason}"
        entries.append(HistoryEntry(row.history_date, row.history_user, what, seq=seq))
    saves = SaveAttempt.history.filter(request_id=request.pk, history_type="+")
    for row in saves.select_related("history_user"):
        what = f"Save attempt: {SaveOutcome(row.outcome).label}"
        if abs((row.history_date - row.at).total_seconds()) >= 60:
            what += f" (call of {timezone.localtime(row.at):%Y-%m-%d %H:%M})"
        if row.notes:
            what += f": “{row.notes}”"
        entries.append(HistoryEntry(row.history_date, row.history_user, what))
    runs = Run.objects.filter(subject_type="change_request", subject_id=request.pk)
    tasks = Task.objects.filter(run__in=runs, closed_by__isnull=False, closed_at__isnull=False)
    for task in tasks.select_related("closed_by"):
        if task.decision:
            what = f"{task.title}: {task.get_decision_display().lower()}"
            what += f": “{task.note}”" if task.note else ""
        elif task.state == TaskState.DONE:
            what = f"{task.title}: done"
        else:
            continue
        assert task.closed_at is not None
        entries.append(HistoryEntry(task.closed_at, task.closed_by, what, rank=0, seq=task.pk))
    removals = Removal.history.filter(request_id=request.pk, history_type="~")
    seen: dict[int, str] = {}
    for row in removals.select_related("history_user", "tool").order_by("history_date"):
        if seen.get(row.id) != row.state and row.state != RemovalState.PENDING:
            verb = "Removed from" if row.state == RemovalState.REMOVED else "Verified removal from"
            entries.append(HistoryEntry(row.history_date, row.history_user, f"{verb} {row.tool}"))
        seen[row.id] = row.state
    entries.sort(key=lambda entry: (entry.when, entry.rank, entry.seq))
    return entries


# Reports ----------------------------------------------------------------------------------


@dataclass
class Rate:
    """Requests counted, how many of them kept the client, and the calls made on them."""

    requests: int = 0
    saved: int = 0
    attempts: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.saved / self.requests, 3) if self.requests else None


@dataclass
class Reports:
    save_rate: Rate
    save_rate_by_reason: dict[str, Rate] = field(default_factory=dict)
    save_rate_by_month: dict[str, Rate] = field(default_factory=dict)
    requests_by_kind_and_reason: list[dict[str, Any]] = field(default_factory=list)
    approval_hours_by_step: dict[str, float] = field(default_factory=dict)
    revenue_saved: Decimal = Decimal("0")
    revenue_lost: Decimal = Decimal("0")


# What a request that took effect shows happened (see the module's docstring).
TOOK_EFFECT = {
    ChangeKind.CANCELLATION: SaveOutcome.LOST,
    ChangeKind.PAUSE: SaveOutcome.PAUSED,
}


def final_outcome(request: ChangeRequest, latest: SaveAttempt | None) -> str | None:
    """How the request ended, or stands: what happened once it took effect, otherwise
    its latest save attempt; None when it counts in no report."""
    if request.status == ChangeStatus.EFFECTIVE:
        if request.kind in TOOK_EFFECT:
            return TOOK_EFFECT[ChangeKind(request.kind)]
        moved = request.mrr_after != request.mrr_before
        return SaveOutcome.SAVED_WITH_CHANGE if moved else SaveOutcome.SAVED
    if latest is None:
        return None
    if request.status == ChangeStatus.WITHDRAWN and latest.outcome == SaveOutcome.LOST:
        return None
    return latest.outcome


def revenue_split(
    request: ChangeRequest, outcome: str, new_mrr: Decimal
) -> tuple[Decimal, Decimal]:
    """(saved, lost) of the request's MRR when raised, by its final outcome."""
    before = request.mrr_before
    if outcome == SaveOutcome.LOST:
        return Decimal("0"), before
    if outcome == SaveOutcome.SAVED_WITH_CHANGE:
        kept = min(max(new_mrr, Decimal("0")), before)
        return kept, before - kept
    return before, Decimal("0")


def projected_mrr(request: ChangeRequest) -> Decimal:
    """The MRR the request leaves: the one it took effect with, or the MRR its lines would
    leave on the client's active contract (its MRR when raised, changed line by line)."""
    if request.status == ChangeStatus.EFFECTIVE:
        return request.mrr_after
    contract = (
        Contract.objects.filter(client_id=request.client_id, status=ContractStatus.ACTIVE)
        .order_by("-start_date")
        .first()
    )
    current = dict(contract.lines.values_list("service_id", "monthly_budget")) if contract else {}
    mrr = request.mrr_before
    for line in request.lines.all():
        was = current.get(line.service_id, Decimal("0"))
        if line.action == LineAction.REMOVE:
            mrr -= was
        else:
            mrr += (line.monthly_budget or Decimal("0")) - was
    return mrr


def reports(user: Any, *, start: date | None = None, end: date | None = None) -> Reports:
    requests = visible_requests(user)
    if start:
        requests = requests.filter(raised_at__date__gte=start)
    if end:
        requests = requests.filter(raised_at__date__lt=end)
    attempts = SaveAttempt.objects.filter(request__in=requests).annotate(
        by_retention=Exists(
            User.roles.through.objects.filter(
                user_id=OuterRef("by_id"), role__code=RoleCode.RETENTION_TEAM
            )
        )
    )
    latest: dict[int, SaveAttempt] = {}
    team_calls: dict[int, list[SaveAttempt]] = defaultdict(list)
    for attempt in attempts.order_by("at", "id"):
        latest[attempt.request_id] = attempt
        if attempt.by_retention:
            team_calls[attempt.request_id].append(attempt)
    result = Reports(save_rate=Rate())
    closed = Q(status=ChangeStatus.EFFECTIVE) | Q(pk__in=attempts.values("request_id"))
    for request in requests.filter(closed).prefetch_related("lines"):
        outcome = final_outcome(request, latest.get(request.pk))
        if outcome is None:
            continue
        new_mrr = (
            projected_mrr(request) if outcome == SaveOutcome.SAVED_WITH_CHANGE else Decimal("0")
        )
        saved, lost = revenue_split(request, outcome, new_mrr)
        result.revenue_saved += saved
        result.revenue_lost += lost
        calls = team_calls.get(request.pk)
        if not calls:
            continue
        month = timezone.localtime(calls[-1].at).strftime("%Y-%m")
        for rate in (
            result.save_rate,
            result.save_rate_by_reason.setdefault(request.reason.label, Rate()),
            result.save_rate_by_month.setdefault(month, Rate()),
        ):
            rate.requests += 1
            rate.saved += outcome in SAVED_OUTCOMES
            rate.attempts += len(calls)
    result.requests_by_kind_and_reason = [
        dict(row)
        for row in requests.values("kind", "reason__label")
        .annotate(count=Count("id"))
        .order_by("kind", "reason__label")
    ]
    result.approval_hours_by_step = approval_cycle_hours(requests)
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
    """The retention team's calls and those that kept the client, per month (for a chart)."""
    rows = (
        SaveAttempt.objects.filter(
            request__in=visible_requests(user), by__roles__code=RoleCode.RETENTION_TEAM
        )
        .annotate(month=TruncMonth("at"))
        .values("month")
        .annotate(
            attempts=Count("id"),
            saved=Count("id", filter=Q(outcome__in=[o.value for o in SAVED_OUTCOMES])),
        )
        .order_by("month")
    )
    return [dict(row) for row in rows]
