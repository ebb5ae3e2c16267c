"""The onboarding board and the program list answer in a number of queries fixed by the
page, not by how many programs they show: each is counted at two sizes."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from retainops.core.models import User
from retainops.core.testing import queries_of_page
from retainops.onboarding.models import Program
from retainops.playbooks.models import PlaybookVersion

from .test_pages import HALF, sold

pytestmark = pytest.mark.django_db

NewProgram = Callable[..., Program]


def _grow(new_program: NewProgram, sales_rep: User, start: int, count: int) -> None:
    """`count` more programs sold (each with its onboarding run) and `count` drafts."""
    for n in range(start, start + count):
        sold(new_program, sales_rep, name=f"Campaign {n:03d}")
        new_program(HALF, name=f"Draft {n:03d}")


_queries = queries_of_page


@pytest.mark.parametrize("url", ["/onboarding/", "/api/v1/onboarding/board", "/api/v1/programs"])
def test_a_page_costs_the_same_queries_for_two_programs_as_for_twelve(
    clock: Any,
    client: HttpClient,
    account_manager: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    url: str,
) -> None:
    client.force_login(account_manager)
    _grow(new_program, sales_rep, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(new_program, sales_rep, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 programs, {large} for 12"
