"""Fixtures for drops: a North client with a program, its team lead, the clock at
START, and `plan` / `roster` helpers."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.drops import services
from retainops.drops.models import Drop
from retainops.messaging.tests.conftest import START, clock  # noqa: F401
from retainops.onboarding.models import Program

DROP_AT = START + timedelta(days=7)  # Tuesday 1 December 2026, 09:00 UTC


@pytest.fixture
def team_lead(north: BusinessUnit) -> User:
    """Tess, team lead in North: may override readiness."""
    return UserFactory.create(username="tess_lead", roles=["team_lead"], units=[north])


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User, team_lead: User) -> Client:
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="team_lead"), user=team_lead
    )
    return client


@pytest.fixture
def program(harbor: Client) -> Program:
    return Program.objects.create(
        client=harbor,
        name="Winter whitening",
        start_date=date(2026, 11, 1),
        end_date=date(2027, 2, 28),
    )


@pytest.fixture
def plan(program: Program, account_manager: User, clock: Any) -> Callable[..., Drop]:
    def make(**overrides: Any) -> Drop:
        values: dict[str, Any] = {
            "program": program,
            "by": account_manager,
            "name": "Winter mailer",
            "channel": "mail",
            "drop_at": DROP_AT,
            "audience_size": 50_000,
            "expected_response_rate": 0.02,
        }
        values.update(overrides)
        return services.plan_drop(**values)

    return make


@pytest.fixture
def roster(account_manager: User) -> Callable[..., None]:
    def add(count: int, starts: datetime, hours: int = 8) -> None:
        for i in range(count):
            services.add_shift(
                by=account_manager,
                email=f"agent{i}@agency.example",
                name=f"Agent {i}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
            )

    return add
