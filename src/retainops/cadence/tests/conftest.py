"""Fixtures for contact plans: an active North client whose account manager is Amy, with
two contacts, the clock stopped on a Tuesday morning, and a team lead of North."""

import pytest

from retainops.cadence.models import ContactKind
from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.tests.conftest import START, clock, smtp, smtp_server  # noqa: F401


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User) -> Client:
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    client.go_live()
    client.save()
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=account_manager
    )
    ContactFactory.create(client=client, name="Dana Diaz", email="dana@harbor.example")
    ContactFactory.create(client=client, name="Jo Lee", email="jo@harbor.example")
    return client


@pytest.fixture
def lead(north: BusinessUnit) -> User:
    """Tess, team lead of North, who balances the team's work."""
    return UserFactory.create(username="tess_lead", roles=["team_lead"], units=[north])


@pytest.fixture
def colleague(north: BusinessUnit) -> User:
    """Cal, another account manager of North."""
    return UserFactory.create(username="cal_am", roles=["account_manager"], units=[north])


@pytest.fixture
def weekly_email(db: None) -> ContactKind:
    return ContactKind.objects.get(code="weekly-email")


@pytest.fixture
def call(db: None) -> ContactKind:
    return ContactKind.objects.get(code="call")
