"""Shared fixtures: two business units and the people who work in them."""

from collections.abc import Iterator

import pytest
from django.test import override_settings

from retainops.core.models import BusinessUnit, User
from retainops.core.testing import ApiCaller, BusinessUnitFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashing() -> Iterator[None]:
    """Production hashing is slow on purpose (over a million rounds); tests create
    hundreds of users, so they hash with a fast scheme that proves nothing else."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


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
