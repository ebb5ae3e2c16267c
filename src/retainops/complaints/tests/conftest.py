"""Fixtures for complaints: the North unit working London hours with English bank
holidays, a client whose account manager is Amy, the people the clocks tell, and a
`raise_one` helper."""

from collections.abc import Callable
from datetime import time
from typing import Any

import pytest

from retainops.clients.models import Client, ClientTeamMember, Contact
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.complaints import services
from retainops.complaints.models import BusinessCalendar, Complaint, ComplaintCategory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.tests.conftest import START, clock  # noqa: F401


@pytest.fixture
def london_hours(north: BusinessUnit) -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        business_unit=north,
        time_zone="Europe/London",
        working_days=[1, 2, 3, 4, 5],
        opens_at=time(9),
        closes_at=time(17),
        holiday_country="GB",
        holiday_subdivision="ENG",
    )


@pytest.fixture
def team_lead(north: BusinessUnit) -> User:
    """Tess, team lead in North: hears of breaches."""
    return UserFactory.create(username="tess_lead", roles=["team_lead"], units=[north])


@pytest.fixture
def department_manager(north: BusinessUnit) -> User:
    """Dana, department manager in North: hears of the second level."""
    return UserFactory.create(username="dana_dept", roles=["department_manager"], units=[north])


@pytest.fixture
def ops_lead(north: BusinessUnit) -> User:
    """Otto, operations lead: keeps the service levels and hears of spreading themes."""
    return UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User, london_hours: BusinessCalendar) -> Client:
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, user=account_manager, role=Role.objects.get(code="account_manager")
    )
    return client


@pytest.fixture
def harbor_contact(harbor: Client) -> Contact:
    return ContactFactory.create(client=harbor, name="Hal Harbor")


@pytest.fixture
def raise_one(harbor: Client, account_manager: User) -> Callable[..., Complaint]:
    def make(**overrides: Any) -> Complaint:
        values: dict[str, Any] = {
            "by": account_manager,
            "client": harbor,
            "channel": "phone",
            "severity": "high",
            "category": ComplaintCategory.objects.get(code="reporting"),
            "summary": "Monthly report late again",
            "description": "The monthly report arrived two weeks late and had no commentary.",
        }
        values.update(overrides)
        return services.raise_complaint(**values)

    return make
