"""Search everywhere: the header's box finds clients, contacts, programs, change requests
and open tasks, only among what the person may see, grouped by kind, on the page and in
the API; too short or too long a search is refused with the reason."""

from datetime import UTC, date, datetime, timedelta

import pytest

from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import Role
from retainops.core.search import search
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.onboarding.models import Program
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Playbook

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PLAYBOOK = """
key: search-check
name: Search check
subject: client
trigger: manual
anchors: [start]
steps:
  - key: call
    title: Call about the Lighthouse renewal
    owner: role:account_manager
    due: 1 day after start
"""


@pytest.fixture
def world():
    north, south = (
        BusinessUnitFactory.create(code="north"),
        BusinessUnitFactory.create(code="south"),
    )
    amy = UserFactory.create(username="amy", roles=["account_manager"], units=[north])
    ops = UserFactory.create(username="ops", roles=["operations_lead"], units=[north])
    mine = ClientFactory.create(name="Lighthouse Dental", business_unit=north)
    theirs = ClientFactory.create(name="Lighthouse Bakery", business_unit=south)
    ClientTeamMember.objects.create(
        client=mine, role=Role.objects.get(code="account_manager"), user=amy
    )
    for client, who in ((mine, "Lena Light"), (theirs, "Lars Light")):
        ContactFactory.create(client=client, name=who, email=f"{who.split()[0].lower()}@x.example")
        Program.objects.create(
            client=client,
            name=f"{client.name} winter program",
            start_date=date(2026, 12, 1),
            end_date=date(2027, 2, 28),
        )
        ChangeRequest.objects.create(
            client=client,
            kind="pause",
            reason=ChangeReason.objects.get(code="budget-cut"),
            escalation="retention_team",
            effective_date=date(2026, 12, 31),
            raised_by=amy,
        )
    playbooks.publish_playbook(by=ops, source=PLAYBOOK)
    playbooks.start_run(
        by=amy,
        playbook=Playbook.objects.get(key="search-check"),
        subject_id=mine.pk,
        anchors={"start": NOW + timedelta(days=1)},
    )
    return {"amy": amy, "mine": mine, "theirs": theirs}


def _titles(groups):
    return {g.key: [h.title for h in g.hits] for g in groups}


def test_one_search_finds_every_kind_the_person_may_see(world):
    found = _titles(search(world["amy"], "lighthouse"))
    assert found["clients"] == ["Lighthouse Dental"]
    assert found["programs"] == ["Lighthouse Dental winter program"]
    [request] = found["change_requests"]
    assert request.endswith("Lighthouse Dental")
    assert found["tasks"] == ["Call about the Lighthouse renewal"]
    assert list(found) == ["clients", "programs", "change_requests", "tasks"]
    assert "Bakery" not in str(found)


def test_contacts_by_name_or_address_and_requests_by_number(world):
    assert _titles(search(world["amy"], "lena@x"))["contacts"] == ["Lena Light"]
    assert _titles(search(world["amy"], "light"))["contacts"] == ["Lena Light"]
    theirs = ChangeRequest.objects.get(client=world["theirs"])
    mine = ChangeRequest.objects.get(client=world["mine"])
    assert "change_requests" not in _titles(search(world["amy"], f"#{theirs.pk}"))
    assert _titles(search(world["amy"], f"#{mine.pk}"))["change_requests"][0].startswith(
        f"#{mine.pk} "
    )


def test_a_kind_with_more_hits_than_shown_says_so(world):
    for n in range(9):
        ClientFactory.create(
            name=f"Lighthouse branch {n}", business_unit=world["mine"].business_unit
        )
    [clients] = [g for g in search(world["amy"], "lighthouse", per_kind=8) if g.key == "clients"]
    assert len(clients.hits) == 8
    assert clients.more


def test_the_page_groups_hits_and_refuses_too_little(client, world):
    client.force_login(world["amy"])
    page = client.get("/search/", {"q": "lighthouse"})
    assert page.status_code == 200
    body = page.content.decode()
    assert f'href="/clients/{world["mine"].pk}/"' in body
    assert "Lighthouse Bakery" not in body
    assert 'id="hits-tasks"' in body
    nothing = client.get("/search/", {"q": "zebra crossing"})
    assert 'id="no-hits"' in nothing.content.decode()
    short = client.get("/search/", {"q": "l"})
    assert short.status_code == 400
    assert "at least 2 characters" in short.content.decode()
    assert client.get("/search/").status_code == 200  # the box alone, no error


def test_the_api_answers_the_same_and_422_for_too_much(client, world):
    client.force_login(world["amy"])
    groups = client.get("/api/v1/search", {"q": "lighthouse"}).json()
    assert [g["key"] for g in groups] == ["clients", "programs", "change_requests", "tasks"]
    assert groups[0]["hits"][0]["url"] == f"/clients/{world['mine'].pk}/"
    refused = client.get("/api/v1/search", {"q": "x" * 101})
    assert refused.status_code == 422
    assert "at most 100" in str(refused.json())


def test_every_page_has_the_search_box(client, world):
    client.force_login(world["amy"])
    body = client.get("/clients/").content.decode()
    assert 'role="search"' in body
    assert 'action="/search/"' in body
