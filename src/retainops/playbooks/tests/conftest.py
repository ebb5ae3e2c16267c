"""Fixtures for the process engine: a client with a full team, the shipped hand-off
playbook, a clock that tests move, and the real SMTP server from the messaging tests."""

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import write_reference_data

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.tests.conftest import START, clock, smtp, smtp_server  # noqa: F401
from retainops.playbooks.models import PlaybookVersion
from retainops.playbooks.services import publish_playbook

LIBRARY = Path(__file__).resolve().parent.parent / "library"


@pytest.fixture
def sales_rep(north: BusinessUnit) -> User:
    """Sol, who sold the program (North unit)."""
    return UserFactory.create(
        username="sol_sales", first_name="Sol", roles=["sales_rep"], units=[north]
    )


@pytest.fixture
def csm(north: BusinessUnit) -> User:
    """Cleo, client success manager in North."""
    return UserFactory.create(
        username="cleo_csm", first_name="Cleo", roles=["client_success_manager"], units=[north]
    )


@pytest.fixture
def team_lead(north: BusinessUnit) -> User:
    """Tess, team lead in North: supervises tasks, hears of missed ones."""
    return UserFactory.create(
        username="tess_lead", first_name="Tess", roles=["team_lead"], units=[north]
    )


@pytest.fixture
def ops_lead(north: BusinessUnit) -> User:
    """Otto, operations lead: publishes playbooks."""
    return UserFactory.create(
        username="otto_ops", first_name="Otto", roles=["operations_lead"], units=[north]
    )


@pytest.fixture
def harbor(
    north: BusinessUnit, account_manager: User, sales_rep: User, csm: User, team_lead: User
) -> Client:
    """A North client whose team is complete: sales rep, AM, CSM, team lead; one contact."""
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    for user, code in (
        (sales_rep, "sales_rep"),
        (account_manager, "account_manager"),
        (csm, "client_success_manager"),
        (team_lead, "team_lead"),
    ):
        ClientTeamMember.objects.create(client=client, role=Role.objects.get(code=code), user=user)
    ContactFactory.create(client=client, name="Dana Diaz", email="dana@harbor.example")
    return client


@pytest.fixture
def publish(ops_lead: User) -> Callable[[str], PlaybookVersion]:
    """Publish a playbook's YAML as the operations lead."""

    def publish_text(source: str) -> PlaybookVersion:
        return publish_playbook(by=ops_lead, source=source)

    return publish_text


@pytest.fixture
def handoff(publish: Callable[[str], PlaybookVersion]) -> PlaybookVersion:
    """The shipped hand-off playbook, published."""
    return publish((LIBRARY / "sales-handoff.yaml").read_text())


@pytest.fixture
def reference_data() -> None:
    """Transactional tests start from a flushed database: write the data migrations'
    rows (roles, templates, catalogue) before the test too."""
    write_reference_data()
