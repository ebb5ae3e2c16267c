"""Fixtures for onboarding: a client with its full team and two contacts, a creative
director, the shipped onboarding playbook published, and programs to sell."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from retainops.clients.models import Client, ClientTeamMember, ServiceLine
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.tests.conftest import START, clock, smtp, smtp_server  # noqa: F401
from retainops.onboarding.models import Program
from retainops.onboarding.services import Line, create_program
from retainops.playbooks.models import PlaybookVersion
from retainops.playbooks.services import publish_playbook
from retainops.playbooks.tests.conftest import (  # noqa: F401
    LIBRARY,
    csm,
    ops_lead,
    reference_data,
    sales_rep,
    team_lead,
)

DISPLAY_AND_SEM = {"targeted-display": "2500.00", "sem": "1500.00"}


@pytest.fixture
def creative_director(north: BusinessUnit) -> User:
    """Cora, creative director in North."""
    return UserFactory.create(
        username="cora_creative", first_name="Cora", roles=["creative_director"], units=[north]
    )


@pytest.fixture
def harbor(
    north: BusinessUnit,
    account_manager: User,
    sales_rep: User,
    csm: User,
    team_lead: User,
    creative_director: User,
) -> Client:
    """A North client with its whole team, and two contacts (Dana is the primary one)."""
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    for user, code in (
        (sales_rep, "sales_rep"),
        (account_manager, "account_manager"),
        (csm, "client_success_manager"),
        (team_lead, "team_lead"),
        (creative_director, "creative_director"),
    ):
        ClientTeamMember.objects.create(client=client, role=Role.objects.get(code=code), user=user)
    ContactFactory.create(
        client=client, name="Dana Diaz", email="dana@harbor.example", is_primary=True
    )
    ContactFactory.create(client=client, name="Evan Ellis", email="evan@harbor.example")
    return client


@pytest.fixture
def onboarding(ops_lead: User) -> PlaybookVersion:
    """The shipped onboarding playbook, published."""
    return publish_playbook(by=ops_lead, source=(LIBRARY / "onboarding.yaml").read_text())


@pytest.fixture
def new_program(harbor: Client, sales_rep: User) -> Callable[..., Program]:
    """A draft program for Harbor (display and SEM, a 6-month flight) with some details."""

    def make(details: dict[str, str] | None = None, **fields: object) -> Program:
        lines = [
            Line(ServiceLine.objects.get(code=code), Decimal(budget))
            for code, budget in DISPLAY_AND_SEM.items()
        ]
        options: dict = {
            "name": "Spring campaign",
            "start_date": date(2026, 12, 1),
            "end_date": date(2027, 5, 31),
            **fields,
        }
        return create_program(
            by=sales_rep, client=harbor, lines=lines, details=details or {}, **options
        )

    return make
