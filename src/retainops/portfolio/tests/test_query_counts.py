"""The portfolio dashboard, its export and its API answer in a number of queries fixed by
the page, not by how many clients the book holds: each is counted at two sizes."""

from collections.abc import Callable
from datetime import date

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from retainops.clients.models import Client
from retainops.core.models import User

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db


def _grow(serve: Callable[..., Client], start: int, count: int) -> None:
    """`count` more clients sold a month apart from 2024 on; one in three has left."""
    for n in range(start, start + count):
        sold = date(2024 + n // 12, n % 12 + 1, 1)
        left = date(2025 + n // 12, n % 12 + 1, 10) if n % 3 == 0 else None
        serve(f"Client {n:02d}", sold, left)


def _queries(browser: Browser, url: str) -> int:
    cache.clear()  # the dashboard keeps its figures a while: count the work of making them
    with time_machine.travel(at(TODAY), tick=False), CaptureQueriesContext(connection) as seen:
        assert browser.get(url).status_code == 200
    return len(seen)


@pytest.mark.parametrize(
    "url",
    ["/portfolio/", "/portfolio/portfolio.csv", "/api/v1/portfolio", "/api/v1/portfolio/saves"],
)
def test_a_page_costs_the_same_queries_for_two_clients_as_for_twelve(
    serve: Callable[..., Client], account_manager: User, client: Browser, url: str
) -> None:
    client.force_login(account_manager)
    _grow(serve, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(serve, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 clients, {large} for 12"
