"""Shared fixtures: two business units and the people who work in them."""

from collections.abc import Iterator
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunPython
from django.test import override_settings
from pytest_django.plugin import blocking_manager_key

from retainops.core.models import BusinessUnit, User
from retainops.core.testing import ApiCaller, BusinessUnitFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashing() -> Iterator[None]:
    """Production hashing is slow on purpose (over a million rounds); tests create
    hundreds of users, so they hash with a fast scheme that proves nothing else."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def served_at_testserver() -> Iterator[None]:
    """With no SITE_URL, a link built in a request follows its host (the test client's
    "testserver") and one built outside follows SERVED_URL: the same here, so a test can
    compare what a page shows with what a function builds."""
    with override_settings(SERVED_URL="http://testserver"):
        yield


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """End-customer data lives in a DuckDB file under DATA_DIR: each test gets a
    directory of its own, so rows of one test never meet another's (or the real file)."""
    with override_settings(DATA_DIR=tmp_path_factory.mktemp("data")):
        yield


def write_reference_data() -> None:
    """Run every data migration's forward step again, in migration order (each writes
    its rows with get_or_create, so rows still there stay as they are)."""
    plan, state_apps = _data_migrations()
    # What the data migrations read of their schema editor: the connection it writes on.
    editor = SimpleNamespace(connection=connection)
    for operation in plan:
        operation.code(state_apps, editor)  # type: ignore[arg-type]


@cache
def _data_migrations() -> tuple[list[RunPython], Any]:
    """The data migrations' steps in order, and the models as the migrations leave them:
    plain historical models, as a migration writes with (no audit-history rows)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    steps = [
        operation
        for migration, _backwards in plan
        for operation in migration.operations
        if isinstance(operation, RunPython)
    ]
    return steps, executor.loader.project_state().apps


def _flushes_the_database(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    used = set(getattr(item, "fixturenames", ()))
    return transactional or bool({"transactional_db", "live_server"} & used)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A transactional test ends by flushing the database, the data migrations' rows
    (roles, templates, the catalogue) included. Tests share a process in any order
    (one process per core), so once the test's own teardown has flushed, the rows are
    written again for whichever test comes next."""
    result = yield
    if nextitem is not None and _flushes_the_database(item):
        with item.config.stash[blocking_manager_key].unblock():
            write_reference_data()
    return result


@pytest.fixture
def north(db: None) -> BusinessUnit:
    return BusinessUnitFactory.create(code="north", name="North Media")


@pytest.fixture
def south(db: None) -> BusinessUnit:
    return BusinessUnitFactory.create(code="south", name="South Digital")


@pytest.fixture
def account_manager(north: BusinessUnit) -> User:
    """An account manager working in the North unit."""
    return UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])


@pytest.fixture
def south_account_manager(south: BusinessUnit) -> User:
    """An account manager of the other unit."""
    return UserFactory.create(username="sam_south", roles=["account_manager"], units=[south])


@pytest.fixture
def service_agent(north: BusinessUnit) -> User:
    """A contact-centre agent in North: may read clients, not edit them."""
    return UserFactory.create(username="sid_service", roles=["service_team"], units=[north])


@pytest.fixture
def outsider(db: None) -> User:
    """A staff account with no business unit: sees nothing."""
    return UserFactory.create(username="olive_outsider", roles=["account_manager"])


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory.create(username="ada_admin", roles=["administrator"])


@pytest.fixture
def api_as():
    return ApiCaller
