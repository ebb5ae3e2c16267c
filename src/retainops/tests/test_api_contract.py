"""The API keeps its own contract: schemathesis sends generated requests to every
operation of the OpenAPI document and fails on a server error, a status the document
does not declare, or a body that differs from the declared one.

Bounded (a few derandomised examples per operation) so it runs on both databases in
CI; a request that the domain refuses beyond the schema (an unknown code, a step out
of turn) is not a failure here: it answers a declared 4xx.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from retainops.api import api
from retainops.clients.testing import ClientFactory
from retainops.core.models import ApiToken
from retainops.core.testing import UserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request, which would
    end the test's transaction; Django's own test client unhooks it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(north: Any, keep_the_test_connection: None) -> dict[str, str]:
    """An administrator's token, and a little data for ids to find."""
    administrator = UserFactory.create(username="ada", roles=["administrator"], units=[north])
    ClientFactory.create(name="Harbor Dental", business_unit=north)
    _token, raw = ApiToken.issue(administrator)
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_the_document(case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)
