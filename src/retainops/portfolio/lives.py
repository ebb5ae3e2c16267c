"""Each client's life as the record shows it: when its first contract started, when it
went live, when it left, its term and its MRR now, read in a handful of queries.

The dates come from the clients' audit history (the day the status became active, the
day it became cancelled), so a client imported with its history reads the same as one
served in RetainOps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Min, QuerySet, Sum
from django.utils import timezone

from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import Client, Contract, ContractLine


@dataclass(frozen=True)
class Life:
    """One client: its unit, the day it started, went live and left (None: not yet)."""

    client_id: int
    unit_id: int
    unit: str
    started_on: date | None
    sold_on: date | None
    live_on: date | None
    left_on: date | None
    term_months: int
    mrr: Decimal

    def months_served(self, today: date) -> int:
        """Whole months from the start to the day it left (or to `today`)."""
        if self.started_on is None:
            return 0
        end = self.left_on or today
        months = (end.year - self.started_on.year) * 12 + end.month - self.started_on.month
        if end.day < self.started_on.day:
            months -= 1
        return max(months, 0)

    def renewals(self, today: date) -> int:
        """Renewals made: the whole terms served since the first contract started."""
        return self.months_served(today) // max(self.term_months, 1)


def _first_dates(model: Any, ids: Any, status: str, field: str = "history_date") -> dict:
    rows = model.objects.filter(id__in=ids, status=status).values("id").annotate(first=Min(field))
    return {row["id"]: row["first"] for row in rows}


def lives(clients: QuerySet[Client], *, today: date | None = None) -> list[Life]:
    """The life of each client in `clients` (a person's visible clients, or a unit's)."""
    today = today or timezone.localdate()
    rows = list(
        clients.values("id", "business_unit_id", "business_unit__name", "status", "sold_on")
    )
    if not rows:
        return []
    # The clients as a subquery, not a list of their ids: thousands of parameters cost
    # more to bind and to plan than the rows they find.
    ids = clients.values("id")
    history = Client.history.model
    went_live = _first_dates(history, ids, ClientStatus.ACTIVE)
    left: dict[int, date] = {}
    # No query at all when none has left (one client's page, most often).
    if any(row["status"] == ClientStatus.CANCELLED for row in rows):
        cancelled = clients.filter(status=ClientStatus.CANCELLED).values("id")
        for row in (
            history.objects.filter(id__in=cancelled, status=ClientStatus.CANCELLED)
            .values("id", "history_date")
            .order_by("history_date")
        ):
            left[row["id"]] = timezone.localtime(row["history_date"]).date()
    first_contract: dict[int, tuple[date, int]] = {}
    for row in (
        Contract.objects.filter(client_id__in=ids)
        .exclude(status=ContractStatus.DRAFT)
        .values("client_id", "start_date", "term_months")
        .order_by("-start_date", "-id")
    ):
        first_contract[row["client_id"]] = (row["start_date"], row["term_months"])
    mrr = {
        row["contract__client_id"]: row["total"]
        for row in ContractLine.objects.filter(
            contract__client_id__in=ids, contract__status=ContractStatus.ACTIVE
        )
        .values("contract__client_id")
        .annotate(total=Sum("monthly_budget"))
    }
    result = []
    for row in rows:
        start, term = first_contract.get(row["id"], (row["sold_on"], 12))
        live = went_live.get(row["id"])
        result.append(
            Life(
                client_id=row["id"],
                unit_id=row["business_unit_id"],
                unit=row["business_unit__name"],
                started_on=start,
                sold_on=row["sold_on"] or start,
                live_on=timezone.localtime(live).date() if live else None,
                left_on=left.get(row["id"]),
                term_months=term,
                mrr=mrr.get(row["id"]) or Decimal("0"),
            )
        )
    return result


def by_id(items: Iterable[Life]) -> dict[int, Life]:
    return {life.client_id: life for life in items}
