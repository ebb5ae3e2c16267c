"""The home page, the notifications page and the search answer in a number of queries
fixed by the page, not by how many rows they show: each is counted at two sizes."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.models import Role
from retainops.home.models import Notification
from retainops.playbooks.models import TimelineEvent

pytestmark = pytest.mark.django_db


def _grow(user, unit, start, count):
    """`count` more clients on the person's team, each with a contract, an open request,
    a timeline event and a notification."""
    role = Role.objects.get(code="account_manager")
    reason = ChangeReason.objects.get(code="budget-cut")
    for n in range(start, start + count):
        client = ClientFactory.create(name=f"Lighthouse {n:03d}", business_unit=unit)
        ClientTeamMember.objects.create(client=client, role=role, user=user)
        make_contract(client, {"seo": "900.00"})
        ChangeRequest.objects.create(
            client=client,
            kind="pause",
            reason=reason,
            escalation="retention_team",
            effective_date=date(2026, 12, 31),
            raised_by=user,
        )
        TimelineEvent.objects.create(
            client=client, kind="task_done", summary=f"Step {n}", at=timezone.now()
        )
        Notification.objects.create(user=user, kind="notice", title=f"Notice {n}", url="/")


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/", "/notifications/", "/search/?q=lighthouse"])
def test_a_page_costs_the_same_queries_for_two_rows_as_for_nine(
    client, account_manager, north, url
):
    client.force_login(account_manager)
    _grow(account_manager, north, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(account_manager, north, 2, 7)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 rows, {large} for 9"
