"""A small book of North clients on 12-month contracts, served from 2023 on: who started
when, who left when (written on the day, so the audit history carries the dates)."""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from retainops.changes.models import ChangeLine, ChangeReason, ChangeRequest, SaveAttempt
from retainops.clients.models import Client, ContractLine, ServiceLine
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.models import BusinessUnit, User

TODAY = date(2026, 6, 15)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def serve(north: BusinessUnit) -> Callable[..., Client]:
    def make(
        name: str, start: date, left: date | None = None, budget: str = "1000.00", unit=None
    ) -> Client:
        with time_machine.travel(at(start), tick=False):
            client = ClientFactory.create(name=name, business_unit=unit or north, sold_on=start)
            contract = make_contract(client, {"seo": budget}, start=start)
            client.go_live()
            client.save()
        if left is not None:
            with time_machine.travel(at(left), tick=False):
                client.give_notice()
                client.save()
                client.cancel()
                client.save()
                contract.cancel()
                contract.save()
        return client

    return make


def _months_after(start: date, months: int) -> date:
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 10)


@pytest.fixture
def book(serve: Callable[..., Client]) -> list[Client]:
    """40 clients sold on the first of each month from 2023-01: every third leaves in its
    first term, every fifth (of the rest) in its second; the others stay."""
    clients = []
    for i in range(40):
        start = date(2023 + (i // 12), i % 12 + 1, 1)
        left = None
        if i % 3 == 0:
            left = _months_after(start, 11)
        elif i % 5 == 0:
            left = _months_after(start, 23)
        if left is not None and left >= TODAY:
            left = None
        clients.append(serve(f"Client {i:02d}", start, left))
    return clients


@pytest.fixture
def request_for(account_manager: User) -> Callable[..., ChangeRequest]:
    def make(
        client: Client,
        kind: str,
        outcome: str | None,
        *,
        reason: str = "",
        credit: str = "0",
        lines: tuple[str, ...] = (),
    ) -> ChangeRequest:
        found = ChangeReason.objects.filter(code=reason).first() or ChangeReason.objects.first()
        assert found is not None
        change = ChangeRequest.objects.create(
            client=client,
            kind=kind,
            reason=found,
            escalation="retention_team",
            effective_date=TODAY,
            credit_amount=Decimal(credit),
            raised_by=account_manager,
            mrr_before=Decimal("1000.00"),
        )
        for action in lines:
            ChangeLine.objects.create(
                request=change,
                service=ServiceLine.objects.get(code="seo"),
                action=action,
                monthly_budget=Decimal("600.00"),
            )
        if outcome:
            SaveAttempt.objects.create(request=change, by=account_manager, outcome=outcome)
        return change

    return make


__all__ = ["TODAY", "ContractLine"]
