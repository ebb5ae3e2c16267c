"""The MRR read from the history at each month's start, and the monthly figures built on
it, equal those of the first, plain replay (kept below as the reference) over a varied
history: budgets changed mid-month and twice at one instant, lines removed and added, a
contract paused and resumed, one cancelled and replaced, one moved to another client,
one never signed, clients leaving (one at a month's first instant), three units; and the
cohort curves equal theirs."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
import time_machine
from django.db.models import QuerySet
from django.utils import timezone

from retainops.clients.choices import ContractStatus
from retainops.clients.models import Client, Contract, ContractLine, ServiceLine
from retainops.clients.queries import visible_clients
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.models import BusinessUnit, User
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.portfolio.lives import Life, lives
from retainops.portfolio.metrics import (
    MonthRow,
    _months_between,
    cohort_curves,
    month_starts,
    monthly,
    mrr_at,
    quarter_of,
)

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db


# The reference: the first implementation, unchanged ------------------------------------


def _instant(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def reference_mrr_at(clients: QuerySet[Client], days: list[date]) -> dict[date, dict[int, Any]]:
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


def _served_at(life: Life, day: date) -> bool:
    return (
        life.started_on is not None
        and life.started_on < day
        and (life.left_on is None or life.left_on >= day)
    )


def reference_monthly(
    clients: QuerySet[Client], all_lives: list[Life], *, today: date, months: int = 12
) -> list[MonthRow]:
    days = month_starts(today, months)
    boundaries = [*days, today] if days[-1] != today else days
    mrr = reference_mrr_at(clients, boundaries)
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


def reference_cohort_curves(
    all_lives: list[Life], *, today: date, horizon: int = 12, quarters: int = 6
) -> dict[str, list[float | None]]:
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


# A varied history ------------------------------------------------------------------------


def _line(client: Client, code: str) -> ContractLine:
    return ContractLine.objects.get(contract__client=client, service__code=code)


def _add_line(contract: Contract, code: str, budget: str) -> None:
    ContractLine.objects.create(
        contract=contract,
        service=ServiceLine.objects.get(code=code),
        monthly_budget=Decimal(budget),
    )


def _set_budget(line: ContractLine, budget: str) -> None:
    line.monthly_budget = Decimal(budget)
    line.save()


@pytest.fixture
def east(db: None) -> BusinessUnit:
    return BusinessUnitFactory.create(code="east", name="East Reach")


@pytest.fixture
def varied(
    serve: Callable[..., Client], north: BusinessUnit, south: BusinessUnit, east: BusinessUnit
) -> dict[str, Client]:
    clients = {
        "growing": serve("Growing", date(2024, 3, 1), budget="1000.00"),
        "leaving": serve("Leaving", date(2025, 1, 1), left=date(2025, 10, 12), budget="800.00"),
        "pausing": serve("Pausing", date(2024, 11, 1), budget="2000.00", unit=south),
        "renewing": serve("Renewing", date(2025, 4, 1), budget="600.00", unit=south),
        "young": serve("Young", date(2026, 3, 1), budget="450.50"),
        "elsewhere": serve("Elsewhere", date(2024, 6, 1), budget="3000.00", unit=east),
        "giving": serve("Giving", date(2024, 9, 1), budget="250.00", unit=east),
    }
    growing = clients["growing"]
    with time_machine.travel(at(date(2025, 5, 20)), tick=False):
        _add_line(growing.contracts.get(), "sem", "500.00")
    with time_machine.travel(at(date(2025, 8, 17)), tick=False):
        _set_budget(_line(growing, "seo"), "1200.00")
    with time_machine.travel(at(date(2025, 11, 3)), tick=False):
        _line(growing, "sem").delete()
    with time_machine.travel(at(date(2026, 2, 20)), tick=False):
        _add_line(growing.contracts.get(), "social", "300.00")
    pausing = clients["pausing"].contracts.get()
    with time_machine.travel(at(date(2025, 9, 5)), tick=False):
        pausing.pause()
        pausing.save()
    with time_machine.travel(at(date(2025, 12, 10)), tick=False):
        pausing.resume()
        pausing.save()
    with time_machine.travel(at(date(2026, 1, 15)), tick=False):  # twice at one instant
        _set_budget(_line(clients["pausing"], "seo"), "700.00")
        _set_budget(_line(clients["pausing"], "seo"), "900.00")
    renewing = clients["renewing"]
    with time_machine.travel(at(date(2025, 12, 31)), tick=False):
        first = renewing.contracts.get()
        first.cancel()
        first.save()
        make_contract(renewing, {"sem": "650.00"}, start=date(2025, 12, 31))
    with time_machine.travel(at(date(2026, 4, 10)), tick=False):
        moved = clients["giving"].contracts.get()
        moved.client = clients["elsewhere"]
        moved.save()
    with time_machine.travel(at(date(2025, 7, 1)), tick=False):
        unsigned = ClientFactory.create(name="Unsigned", business_unit=north)
        make_contract(unsigned, {"seo": "999.00"}, active=False)
    with time_machine.travel(_instant(date(2026, 3, 1)), tick=False):  # a month's first instant
        elsewhere = clients["elsewhere"]
        elsewhere.give_notice()
        elsewhere.save()
        elsewhere.cancel()
        elsewhere.save()
    clients["unsigned"] = unsigned
    return clients


def _days() -> list[date]:
    """Month starts over two years, days within months, today and tomorrow."""
    starts = month_starts(TODAY, 24)
    within = [date(2025, 8, 17), date(2025, 8, 18), date(2026, 1, 15), date(2026, 1, 16)]
    return [*starts, *within, TODAY, TODAY + timedelta(days=1)]


def _exact(by_day: dict[date, dict[int, Decimal]]) -> dict[date, dict[int, str]]:
    """The figures as written (so 1000.00 and 1000 differ)."""
    return {day: {k: str(v) for k, v in mrrs.items()} for day, mrrs in by_day.items()}


@pytest.fixture
def both_units(north: BusinessUnit, south: BusinessUnit) -> User:
    return UserFactory.create(username="bo_both", roles=["account_manager"], units=[north, south])


def test_mrr_at_equals_the_reference_over_a_varied_history(
    varied: dict[str, Client], account_manager: User, both_units: User, administrator: User
) -> None:
    for user in (account_manager, both_units, administrator):
        clients = visible_clients(user)
        found = mrr_at(clients, _days())
        assert _exact(found) == _exact(reference_mrr_at(clients, _days()))
    found = mrr_at(Client.objects.all(), _days())
    growing = varied["growing"].pk
    assert found[date(2025, 6, 1)][growing] == Decimal("1500.00")
    assert found[date(2025, 9, 1)][growing] == Decimal("1700.00")
    assert found[date(2025, 12, 1)][growing] == Decimal("1200.00")
    assert found[date(2026, 3, 1)][growing] == Decimal("1500.00")
    assert varied["pausing"].pk not in found[date(2025, 10, 1)]
    assert found[date(2026, 1, 1)][varied["renewing"].pk] == Decimal("650.00")
    assert found[date(2026, 5, 1)][varied["elsewhere"].pk] == Decimal("3250.00")
    assert varied["giving"].pk not in found[date(2026, 5, 1)]
    assert varied["unsigned"].pk not in found[TODAY]


def test_monthly_figures_equal_the_reference_over_a_varied_history(
    varied: dict[str, Client], account_manager: User, both_units: User, administrator: User
) -> None:
    for user in (account_manager, both_units, administrator):
        clients = visible_clients(user)
        all_lives = lives(clients, today=TODAY)
        for months in (1, 12, 24):
            found = monthly(clients, all_lives, today=TODAY, months=months)
            expected = reference_monthly(clients, all_lives, today=TODAY, months=months)
            assert [row.as_dict() for row in found] == [row.as_dict() for row in expected]
            assert found == expected
    rows = monthly(Client.objects.all(), lives(Client.objects.all(), today=TODAY), today=TODAY)
    units = {row.unit for row in rows}
    assert units == {"North Media", "South Digital", "East Reach", "All units"}
    october = {row.unit: row for row in rows if row.month == "2025-10"}
    assert october["North Media"].left == 1 and october["All units"].left == 1
    assert october["All units"].mrr_end < october["All units"].mrr_start


def test_monthly_figures_on_a_month_start_equal_the_reference(
    varied: dict[str, Client], administrator: User
) -> None:
    """Today a month's first day: the last boundary is the month start itself."""
    clients = visible_clients(administrator)
    today = date(2026, 3, 1)
    all_lives = lives(clients, today=today)
    found = monthly(clients, all_lives, today=today)
    assert found == reference_monthly(clients, all_lives, today=today)


def test_mrr_at_reads_the_history_in_two_queries_whatever_the_book(
    varied: dict[str, Client], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        mrr_at(Client.objects.all(), _days())
    assert mrr_at(Client.objects.all(), []) == {}


def test_cohort_curves_equal_the_reference(book: list[Client], administrator: User) -> None:
    all_lives = lives(visible_clients(administrator), today=TODAY)
    for today in (TODAY, date(2025, 2, 10), date(2024, 1, 31)):
        for quarters, horizon in ((6, 12), (12, 24)):
            found = cohort_curves(all_lives, today=today, horizon=horizon, quarters=quarters)
            expected = reference_cohort_curves(
                all_lives, today=today, horizon=horizon, quarters=quarters
            )
            assert found == expected
    curves = cohort_curves(all_lives, today=TODAY)
    assert any(value is None for curve in curves.values() for value in curve)
    assert any(value is not None and value < 1 for curve in curves.values() for value in curve)
