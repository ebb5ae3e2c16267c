"""The drop calendar, the staffing view and the drops' API list answer in a number of
queries fixed by the page, not by how many drops and shifts they show: each is counted at
two sizes."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client as HttpClient

from retainops.core.models import User
from retainops.core.testing import queries_of_page
from retainops.drops import services
from retainops.drops.models import Drop
from retainops.drops.tests.conftest import DROP_AT

pytestmark = pytest.mark.django_db


def _grow(plan: Callable[..., Drop], by: User, start: int, count: int) -> None:
    """`count` more drops in the month, a day apart, and `count` more agents on shift."""
    for n in range(start, start + count):
        plan(name=f"Mailer {n:03d}", drop_at=DROP_AT + timedelta(days=n % 20, hours=n // 20))
        services.add_shift(
            by=by,
            email=f"agent{n}@agency.example",
            name=f"Agent {n}",
            starts_at=DROP_AT,
            ends_at=DROP_AT + timedelta(hours=4),
        )


_queries = queries_of_page


@pytest.mark.parametrize(
    "url",
    [
        "/drops/?day=2026-12-01",
        "/drops/?view=week&day=2026-12-01",
        "/staffing/?day=2026-12-01",
        "/api/v1/drops",
    ],
)
def test_a_page_costs_the_same_queries_for_two_drops_as_for_twelve(
    client: HttpClient,
    account_manager: User,
    plan: Callable[..., Drop],
    url: str,
) -> None:
    client.force_login(account_manager)
    _grow(plan, account_manager, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(plan, account_manager, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 drops, {large} for 12"
