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
    """Each client's MRR at the first instant of each day in `days` (from the history)."""
    contract_history = Contract.history.model
    line_history = ContractLine.history.model
    contracts = contract_history.objects.filter(client__in=clients)
    events: list[tuple[datetime, int, str, Any]] = []
    for row in contracts.values("id", "client_id", "status", "history_date"):
        events.append((row["history_date"], 0, "contract", row))
    for row in line_history.objects.filter(contract_id__in=contracts.values("id")).values(
        "id", "contract_id", "monthly_budget", "history_date", "history_type"
    ):
        events.append((row["history_date"], 1, "line", row))
    events.sort(key=lambda e: (e[0], e[1]))
    contract_state: dict[int, tuple[int, str]] = {}
    line_state: dict[int, tuple[int, Decimal]] = {}
    result: dict[date, dict[int, Decimal]] = {}
    position = 0
    for day in sorted(days):
        cut = _instant(day)
        while position < len(events) and events[position][0] < cut:
            _when, _order, kind, row = events[position]
            if kind == "contract":
                contract_state[row["id"]] = (row["client_id"], row["status"])
            elif row["history_type"] == "-":
                line_state.pop(row["id"], None)
            else:
                line_state[row["id"]] = (row["contract_id"], row["monthly_budget"])
            position += 1
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for contract_id, budget in line_state.values():
            client_id, status = contract_state.get(contract_id, (0, ""))
            if status == ContractStatus.ACTIVE:
                totals[client_id] += budget
        result[day] = dict(totals)
    return result


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


def _served_at(life: Life, day: date) -> bool:
    return (
        life.started_on is not None
        and life.started_on < day
        and (life.left_on is None or life.left_on >= day)
    )


def monthly(
    clients: QuerySet[Client], all_lives: list[Life], *, today: date, months: int = 12
) -> list[MonthRow]:
    """One row per month and unit, and one per month for every unit ("All units")."""
    days = month_starts(today, months)
    boundaries = [*days, today] if days[-1] != today else days
    mrr = mrr_at(clients, boundaries)
    rows: list[MonthRow] = []
    units = sorted({life.unit for life in all_lives})
    for start, end in pairwise(boundaries):
        for unit in [*units, "All units"]:
            group = [life for life in all_lives if unit == "All units" or life.unit == unit]
            served = [life for life in group if _served_at(life, start)]
            left = sum(1 for life in served if life.left_on is not None and life.left_on < end)
            mrr_start = mrr_end = capped = Decimal("0")
            for life in group:
                before = mrr[start].get(life.client_id, Decimal("0"))
                if before <= 0:
                    continue
                after = mrr[end].get(life.client_id, Decimal("0"))
                mrr_start += before
                mrr_end += after
                capped += min(before, after)
            rows.append(
                MonthRow(
                    month=start.strftime("%Y-%m"),
                    unit=unit,
                    clients_at_start=len(served),
                    left=left,
                    mrr_start=mrr_start,
                    mrr_end_capped=capped,
                    mrr_end=mrr_end,
                )
            )
    return rows


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
        curve: list[float | None] = []
        for k in range(horizon + 1):
            reached = [m for m in members if _months_between(m.sold_on, today) >= k]
            if len(reached) < len(members):
                curve.append(None)
                continue
            alive = sum(
                1
                for m in members
                if m.left_on is None or _months_between(m.sold_on, m.left_on) >= k
            )
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
