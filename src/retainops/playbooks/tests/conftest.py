"""Fixtures for the process engine: a client with a full team, the shipped hand-off
playbook, a clock that tests move, and the real SMTP server from the messaging tests."""

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunPython

from retainops.clients.models import Client, ClientTeamMember
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import ClientFactory, ContactFactory, UserFactory
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
    """Transactional tests flush the database, data migrations' rows included: run every
    data migration's forward step again, in migration order (each writes its rows with
    get_or_create, so rows still there stay as they are). Which rows a transactional
    test finds then no longer depends on which tests ran before it in its process."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    # What the data migrations read of their schema editor: the connection it writes on.
    editor = SimpleNamespace(connection=connection)
    for migration, _backwards in plan:
        for operation in migration.operations:
            if isinstance(operation, RunPython):
                # Today's app registry stands in for the historical one: the writers only
                # create rows of models that still exist.
                operation.code(django_apps, editor)  # type: ignore[arg-type]
