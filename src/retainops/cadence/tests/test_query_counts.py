"""Clients without a touchpoint, the workload and their API lists answer in a number of
queries fixed by the page, not by how many clients or occurrences they show: each is
counted at two sizes."""

from typing import Any

import pytest

from retainops.cadence.models import ContactKind
from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import queries_of_page

from .test_pages import ITEM, signed_in

pytestmark = pytest.mark.django_db


def _grow(unit: BusinessUnit, by: User, kind: ContactKind, start: int, count: int) -> None:
    """`count` more active clients of the person's, each with a weekly call on its plan."""
    browser = signed_in(by)
    for n in range(start, start + count):
        client = ClientFactory.create(name=f"Lighthouse {n:03d}", business_unit=unit)
        client.go_live()
        client.save()
        ClientTeamMember.objects.create(
            client=client, role=Role.objects.get(code="account_manager"), user=by
        )
        added = browser.post(f"/clients/{client.pk}/cadence/items", {**ITEM, "kind": kind.pk})
        assert added.status_code == 302


_queries = queries_of_page


@pytest.mark.parametrize(
    "url",
    [
        "/cadence/untouched/?days=30",
        "/cadence/workload/",
        "/cadence/workload/?person={am}&day=2026-11-24",
        "/api/v1/cadence/untouched",
        "/api/v1/cadence/workload",
    ],
)
def test_a_page_costs_the_same_queries_for_two_clients_as_for_twelve(
    clock: Any,
    north: BusinessUnit,
    account_manager: User,
    lead: User,
    call: ContactKind,
    url: str,
) -> None:
    url = url.format(am=account_manager.pk)
    browser = signed_in(lead)
    _grow(north, account_manager, call, 0, 2)
    _queries(browser, url)  # the first answer warms caches (sessions, content types)
    small = _queries(browser, url)
    _grow(north, account_manager, call, 2, 10)
    large = _queries(browser, url)
    assert large == small, f"{url}: {small} queries for 2 clients, {large} for 12"
