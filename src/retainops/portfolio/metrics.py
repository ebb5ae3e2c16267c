"""The portfolio: logo churn, gross and net revenue retention per month and unit, cohort
retention by sale quarter, time from sale to live, approval cycle times, save rate.

Revenue is read as it stood at each month's first instant from the audit history of
contracts and their lines (a line's budget then, on a contract active then), so a
month's figures do not move when a budget changes later.

- Logo churn of a month: clients that left in it over clients served at its start.
- Gross revenue retention: over the clients with MRR at the month's start, the MRR at
  its end, each capped at its start (so growth does not hide losses), over the start.
- Net revenue retention: the same without the cap (expansion counts).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from retainops.changes.choices import ChangeStatus
from retainops.changes.queries import approval_cycle_hours, visible_requests
from retainops.clients.choices import ContractStatus
from retainops.clients.models import Client, Contract, ContractLine
from retainops.clients.queries import visible_clients
from retainops.core.charts import Chart, Series, line_chart
from retainops.portfolio.lives import Life, lives


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last `months` months and of the current one, oldest first."""
    year, month = today.year, today.month
    days = []
    for _ in range(months + 1):
        days.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return days[::-1]


def _instant(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def mrr_at(clients: QuerySet[Client], days: list[date]) -> dict[date, dict[int, Decimal]]:
    """Each client's MRR at the first instant of each day in `days` (from the history).

    The history is replayed once in time order (sorted by the database; rows written at
    the same instant in the order the history lists them, newest first), and at each
    day only the clients whose contracts or lines changed since the day before are
    summed again, so the work follows the history, not clients times days."""
    if not days:
        return {}
    contracts = Contract.history.model.objects.filter(client__in=clients)
    lines = ContractLine.history.model.objects.filter(contract_id__in=contracts.values("id"))
    # Rows from the last instant on change no figure asked for.
    last = _instant(max(days))
    contract_rows = (
        contracts.filter(history_date__lt=last)
        .order_by("history_date", "-history_id")
        .values_list("history_date", "id", "client_id", "status")
    )
    line_rows = (
        lines.filter(history_date__lt=last)
        .order_by("history_date", "-history_id")
        .values_list("history_date", "id", "contract_id", "monthly_budget", "history_type")
    )
    book = _Book()
    result: dict[date, dict[int, Decimal]] = {}
    contract_events, line_events = list(contract_rows), list(line_rows)
    at_contract = at_line = 0
    for day in sorted(days):
        cut = _instant(day)
        while at_contract < len(contract_events) and contract_events[at_contract][0] < cut:
            _when, contract_id, client_id, status = contract_events[at_contract]
            book.set_contract(contract_id, client_id, status)
            at_contract += 1
        while at_line < len(line_events) and line_events[at_line][0] < cut:
            _when, line_id, contract_id, budget, kind = line_events[at_line]
            book.set_line(line_id, None if kind == "-" else (contract_id, budget))
            at_line += 1
        result[day] = book.totals()
    return result


class _Book:
    """The contracts and lines as the history stood at an instant, and each client's MRR
    then: the budgets of its lines on its active contracts (a client without any such
    line has no entry)."""

    def __init__(self) -> None:
        self.contracts: dict[int, tuple[int, str]] = {}
        self.lines: dict[int, tuple[int, Decimal]] = {}
        self.contracts_of: dict[int, set[int]] = defaultdict(set)
        self.lines_of: dict[int, dict[int, Decimal]] = defaultdict(dict)
        self.mrr: dict[int, Decimal] = {}
        self.changed_clients: set[int] = set()
        self.changed_contracts: set[int] = set()

    def set_contract(self, contract_id: int, client_id: int, status: str) -> None:
        before = self.contracts.get(contract_id)
        if before is not None:
            self.contracts_of[before[0]].discard(contract_id)
            self.changed_clients.add(before[0])
        self.contracts[contract_id] = (client_id, status)
        self.contracts_of[client_id].add(contract_id)
        self.changed_clients.add(client_id)

    def set_line(self, line_id: int, state: tuple[int, Decimal] | None) -> None:
        """The line's contract and budget from now on (None: the line was removed)."""
        before = self.lines.pop(line_id, None)
        if before is not None:
            del self.lines_of[before[0]][line_id]
            self.changed_contracts.add(before[0])
        if state is not None:
            self.lines[line_id] = state
            self.lines_of[state[0]][line_id] = state[1]
            self.changed_contracts.add(state[0])

    def totals(self) -> dict[int, Decimal]:
        """Each client's MRR now, summing again only the clients changed since last time."""
        changed = self.changed_clients
        for contract_id in self.changed_contracts:
            found = self.contracts.get(contract_id)
            if found is not None:
                changed.add(found[0])
        for client_id in changed:
            budgets = [
                budget
                for contract_id in self.contracts_of[client_id]
                if self.contracts[contract_id][1] == ContractStatus.ACTIVE
                for budget in self.lines_of[contract_id].values()
            ]
            if budgets:
                self.mrr[client_id] = sum(budgets, Decimal())
            else:
                self.mrr.pop(client_id, None)
        self.changed_clients, self.changed_contracts = set(), set()
        return dict(self.mrr)


@dataclass(frozen=True)
class MonthRow:
    month: str
    unit: str
    clients_at_start: int
    left: int
    mrr_start: Decimal
    mrr_end_capped: Decimal
    mrr_end: Decimal

    @property
    def logo_churn(self) -> float | None:
        return self.left / self.clients_at_start if self.clients_at_start else None

    @property
    def gross_retention(self) -> float | None:
        return float(self.mrr_end_capped / self.mrr_start) if self.mrr_start else None

    @property
    def net_retention(self) -> float | None:
        return float(self.mrr_end / self.mrr_start) if self.mrr_start else None

    def as_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {
            "month": self.month,
            "unit": self.unit,
            "clients_at_start": self.clients_at_start,
            "left": self.left,
            "logo_churn": r(self.logo_churn),
            "mrr_start": str(self.mrr_start),
            "mrr_end": str(self.mrr_end),
            "gross_revenue_retention": r(self.gross_retention),
            "net_revenue_retention": r(self.net_retention),
        }


def monthly(
    clients: QuerySet[Client], all_lives: list[Life], *, today: date, months: int = 12
) -> list[MonthRow]:
    """One row per month and unit, and one per month for every unit ("All units")."""
    days = month_starts(today, months)
    boundaries = [*days, today] if days[-1] != today else days
    mrr = mrr_at(clients, boundaries)
    by_unit: dict[str, list[Life]] = defaultdict(list)
    units_of: dict[int, list[str]] = defaultdict(list)
    for life in all_lives:
        by_unit[life.unit].append(life)
        units_of[life.client_id].append(life.unit)
    units = sorted(by_unit)
    rows: list[MonthRow] = []
    for start, end in pairwise(boundaries):
        month = start.strftime("%Y-%m")
        counts = {unit: _served_and_left(by_unit[unit], start, end) for unit in units}
        revenue = _revenue_by_unit(units_of, mrr[start], mrr[end])
        for unit in units:
            rows.append(_month_row(month, unit, counts[unit], revenue.get(unit)))
        # Every client is in one unit, so the book's figures are the sums of the units'
        # (decimal sums are exact: the order of the additions changes nothing).
        every = (sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values()))
        whole = [Decimal("0"), Decimal("0"), Decimal("0")]
        for figures in revenue.values():
            whole = [total + figure for total, figure in zip(whole, figures, strict=True)]
        rows.append(_month_row(month, "All units", every, tuple(whole)))
    return rows


def _served_and_left(group: list[Life], start: date, end: date) -> tuple[int, int]:
    """The clients served at `start` (started before it, not left before it), and of them
    those that left before `end`."""
    served = left = 0
    for life in group:
        if life.started_on is None or life.started_on >= start:
            continue
        if life.left_on is None:
            served += 1
        elif life.left_on >= start:
            served += 1
            if life.left_on < end:
                left += 1
    return served, left


def _revenue_by_unit(
    units_of: dict[int, list[str]], before: dict[int, Decimal], after: dict[int, Decimal]
) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Per unit, over its clients with MRR at the start: the MRR at the start, at the end
    capped at the start, and at the end."""
    sums: dict[str, list[Decimal]] = {}
    for client_id, start_mrr in before.items():
        if start_mrr <= 0 or client_id not in units_of:
            continue
        end_mrr = after.get(client_id, Decimal("0"))
        for unit in units_of[client_id]:
            found = sums.setdefault(unit, [Decimal("0"), Decimal("0"), Decimal("0")])
            found[0] += start_mrr
            found[1] += min(start_mrr, end_mrr)
            found[2] += end_mrr
    return {unit: (a, b, c) for unit, (a, b, c) in sums.items()}


def _month_row(
    month: str,
    unit: str,
    counts: tuple[int, int],
    revenue: tuple[Decimal, ...] | None,
) -> MonthRow:
    mrr_start, capped, mrr_end = revenue or (Decimal("0"), Decimal("0"), Decimal("0"))
    return MonthRow(
        month=month,
        unit=unit,
        clients_at_start=counts[0],
        left=counts[1],
        mrr_start=mrr_start,
        mrr_end_capped=capped,
        mrr_end=mrr_end,
    )


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def cohort_curves(
    all_lives: list[Life], *, today: date, horizon: int = 12, quarters: int = 6
) -> dict[str, list[float | None]]:
    """Per sale quarter, the share still a client k months after the sale (k = 0..horizon);
    None where the quarter is too young to have reached k for every client."""
    groups: dict[str, list[Life]] = defaultdict(list)
    for life in all_lives:
        if life.sold_on is not None:
            groups[quarter_of(life.sold_on)].append(life)
    curves: dict[str, list[float | None]] = {}
    for quarter in sorted(groups)[-quarters:]:
        members = groups[quarter]
        # Each member's months since the sale, and months served before leaving (None:
        # still a client), counted once rather than once per k.
        youngest = min(_months_between(m.sold_on, today) for m in members)
        served = [
            None if m.left_on is None else _months_between(m.sold_on, m.left_on) for m in members
        ]
        curve: list[float | None] = []
        for k in range(horizon + 1):
            if youngest < k:
                curve.append(None)
                continue
            alive = sum(1 for months in served if months is None or months >= k)
            curve.append(round(alive / len(members), 4))
        curves[quarter] = curve
    return curves


def _months_between(start: date | None, end: date) -> int:
    if start is None:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def cohort_chart(curves: dict[str, list[float | None]]) -> Chart | None:
    if not curves:
        return None
    horizon = max(len(c) for c in curves.values())
    return line_chart(
        title="Clients still served, by sale quarter",
        x_labels=[f"M{k}" for k in range(horizon)],
        series=[
            Series.of(q, [None if v is None else v * 100 for v in c]) for q, c in curves.items()
        ],
        y_label="% of the quarter's clients",
        y_limits=(0, 100),
    )


def sale_to_live_days(all_lives: list[Life]) -> dict[str, float]:
    """Median days from sale to go-live, per unit and for every unit."""
    days: dict[str, list[int]] = defaultdict(list)
    for life in all_lives:
        if life.sold_on and life.live_on and life.live_on >= life.sold_on:
            gap = (life.live_on - life.sold_on).days
            days[life.unit].append(gap)
            days["All units"].append(gap)
    return {unit: float(statistics.median(values)) for unit, values in sorted(days.items())}


def approval_days(user: Any) -> dict[str, Any]:
    """Median hours per approval step, and median days from submission to approval."""
    requests = visible_requests(user)
    spans: list[float] = []
    pairs: Any = (
        requests.filter(submitted_at__isnull=False, approved_at__isnull=False)
        .exclude(status=ChangeStatus.DRAFT)
        .values_list("submitted_at", "approved_at")
    )
    for submitted, approved in pairs:
        if approved >= submitted:
            spans.append((approved - submitted).total_seconds() / 86400)
    return {
        "by_step_hours": approval_cycle_hours(requests),
        "submission_to_approval_days": round(statistics.median(spans), 2) if spans else None,
        "approved": len(spans),
    }


@dataclass
class Portfolio:
    clients: int
    months: list[MonthRow]
    curves: dict[str, list[float | None]]
    sale_to_live: dict[str, float]
    approvals: dict[str, Any]


def portfolio(user: Any, *, today: date | None = None, months: int = 12) -> Portfolio:
    """The portfolio of the clients `user` sees."""
    today = today or timezone.localdate()
    clients = visible_clients(user)
    all_lives = lives(clients, today=today)
    return Portfolio(
        clients=len(all_lives),
        months=monthly(clients, all_lives, today=today, months=months) if all_lives else [],
        curves=cohort_curves(all_lives, today=today),
        sale_to_live=sale_to_live_days(all_lives),
        approvals=approval_days(user),
    )


CSV_HEADER = [
    "month",
    "unit",
    "clients_at_start",
    "left",
    "logo_churn",
    "mrr_start",
    "mrr_end",
    "gross_revenue_retention",
    "net_revenue_retention",
]


def csv_rows(rows: list[MonthRow]) -> list[list[str]]:
    out = []
    for row in rows:
        data = row.as_dict()
        out.append(["" if data[k] is None else str(data[k]) for k in CSV_HEADER])
    return out
