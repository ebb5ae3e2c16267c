"""The change request list, the planner, the monthly view, the reports and their API lists
answer in a number of queries fixed by the page, not by how many requests they show: each
is counted at two sizes."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient

from retainops.changes import services
from retainops.changes.models import ChangeReason
from retainops.changes.services import LineChange
from retainops.clients.models import ClientTeamMember, ServiceLine
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import queries_of_page

from .conftest import EFFECTIVE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("approval_playbook", "lists")]


def _grow(unit: BusinessUnit, by: User, reason: ChangeReason, start: int, count: int) -> None:
    """`count` more active clients, each with a submitted cancellation (its approval chain
    running) and a contract change of two lines still in draft."""
    role = Role.objects.get(code="account_manager")
    for n in range(start, start + count):
        client = ClientFactory.create(name=f"Lighthouse {n:03d}", business_unit=unit)
        client.go_live()
        client.save()
        ClientTeamMember.objects.create(client=client, role=role, user=by)
        make_contract(client, {"targeted-display": "2000.00", "seo": "1000.00"})
        common: dict[str, Any] = {
            "by": by,
            "client": client,
            "reason": reason,
            "escalation": "team_lead",
            "effective_date": EFFECTIVE,
        }
        cancellation = services.raise_change_request(kind="cancellation", **common)
        services.submit_change_request(by=by, request=cancellation)
        services.raise_change_request(
            kind="contract_change",
            lines=[
                LineChange(ServiceLine.objects.get(code="seo"), "budget", Decimal("500.00")),
                LineChange(ServiceLine.objects.get(code="targeted-display"), "remove"),
            ],
            **common,
        )


_queries = queries_of_page


@pytest.mark.parametrize(
    "url",
    [
        "/changes/",
        "/changes/planner/",
        "/changes/planner.csv",
        "/changes/monthly/",
        "/changes/reports/",
        "/api/v1/change-requests",
        "/api/v1/change-requests/monthly",
        "/api/v1/change-requests/reports",
    ],
)
def test_a_page_costs_the_same_queries_for_two_clients_as_for_twelve(
    clock: Any,
    client: HttpClient,
    north: BusinessUnit,
    account_manager: User,
    budget_cut: ChangeReason,
    url: str,
) -> None:
    client.force_login(account_manager)
    _grow(north, account_manager, budget_cut, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(north, account_manager, budget_cut, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 clients, {large} for 12"
