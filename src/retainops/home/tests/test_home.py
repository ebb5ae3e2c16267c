"""Each person's home page: what is theirs today, their clients at risk (by health where
scored, else by overdue steps, open requests and silence), recent activity on their
clients, and two charts; empty states for a person with no client."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from retainops.cadence.models import Touchpoint
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.models import Role
from retainops.core.testing import UserFactory
from retainops.health.models import HealthSnapshot, Scorecard
from retainops.home.queries import clients_at_risk
from retainops.playbooks.models import TimelineEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _on_team(client, user):
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=user
    )


def _snapshot(client, score, band):
    version = Scorecard.objects.get().current
    assert version is not None
    HealthSnapshot.objects.create(
        client=client, day=NOW.date(), version=version, score=score, band=band
    )


def _request(client, by):
    return ChangeRequest.objects.create(
        client=client,
        kind="cancellation",
        reason=ChangeReason.objects.get(code="budget-cut"),
        escalation="retention_team",
        effective_date=date(2026, 12, 31),
        raised_by=by,
    )


@pytest.fixture
def book(account_manager, north):
    """Four clients of the account manager's, and one of a colleague's."""
    names = ("Red Rock Dental", "Amber Auto", "Green Gardens", "Quiet Quarry", "Other Optics")
    clients = {
        n.split()[0].lower(): ClientFactory.create(name=n, business_unit=north) for n in names
    }
    for key in ("red", "amber", "green", "quiet"):
        _on_team(clients[key], account_manager)
    _snapshot(clients["red"], 22.0, "red")
    _snapshot(clients["amber"], 55.0, "amber")
    _snapshot(clients["green"], 88.0, "green")
    Touchpoint.objects.create(
        client=clients["green"], channel="call", at=NOW - timedelta(days=3), source="logged"
    )
    _request(clients["quiet"], account_manager)  # unscored, but a cancellation is open
    _snapshot(clients["other"], 10.0, "red")  # not on my team
    return clients


def test_clients_at_risk_come_worst_first_and_leave_the_healthy_out(book, account_manager):
    rows = clients_at_risk(account_manager, now=NOW)
    assert [r.client.name for r in rows] == ["Red Rock Dental", "Amber Auto", "Quiet Quarry"]
    quiet = rows[-1]
    assert (quiet.open_requests, quiet.days_since_contact, quiet.snapshot) == (1, None, None)


def test_a_healthy_client_with_an_open_request_is_listed(book, account_manager):
    _request(book["green"], account_manager)
    names = [r.client.name for r in clients_at_risk(account_manager, now=NOW)]
    assert "Green Gardens" in names
    assert names.index("Green Gardens") > names.index("Amber Auto")


def test_the_page_shows_today_risks_activity_and_charts(client, book, account_manager):
    make_contract(book["red"], {"seo": "1500.00"})
    TimelineEvent.objects.create(
        client=book["amber"], kind="task_done", summary="Kick-off call held", at=timezone.now()
    )
    TimelineEvent.objects.create(
        client=book["other"], kind="task_done", summary="Not my client's step", at=timezone.now()
    )
    _request(book["amber"], account_manager)
    client.force_login(account_manager)
    page = client.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="home-due"' in body and 'id="home-queue"' in body
    table = body[body.index('id="at-risk"') : body.index("</table>", body.index('id="at-risk"'))]
    assert table.index("Red Rock Dental") < table.index("Amber Auto")
    assert "Other Optics" not in table
    assert "Kick-off call held" in body
    assert "Not my client&#x27;s step" not in body and "Not my client's step" not in body
    assert "MRR of my clients, by month and today" in body
    # Today's point holds the contract signed today (the month's start did not).
    assert ">1,500<" in body
    assert "Open change requests by stage" in body


def test_someone_on_no_team_sees_empty_states(client, north):
    newcomer = UserFactory.create(username="newcomer", roles=["account_manager"], units=[north])
    client.force_login(newcomer)
    body = client.get("/").content.decode()
    assert 'id="no-clients"' in body
    assert "Nothing has happened on your clients yet." in body
    assert "No open change request." in body


def test_signing_in_lands_on_the_home_page(client, account_manager):
    account_manager.set_password("pw-for-home-1")
    account_manager.save()
    answer = client.post(
        "/login/", {"username": account_manager.username, "password": "pw-for-home-1"}
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/"


def test_the_home_page_needs_a_sign_in(client):
    answer = client.get("/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/login/")
