"""My work, the task list, the playbooks and their API lists answer in a number of
queries fixed by the page, not by how many tasks or runs they show: each is counted at
two sizes."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient

from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, Role, Team, User
from retainops.core.testing import queries_of_page
from retainops.playbooks import services
from retainops.playbooks.models import Playbook

from .conftest import START
from .test_pages import DESK_CHORES

pytestmark = pytest.mark.django_db


def _grow(people: dict[str, User], unit: BusinessUnit, start: int, count: int) -> None:
    """`count` more clients with the person's chores running on each (five tasks a client:
    overdue, today, upcoming, queued for the desk, and one waiting on the success manager)."""
    playbook = Playbook.objects.get(key="desk-chores")
    for n in range(start, start + count):
        client = ClientFactory.create(name=f"Lighthouse {n:03d}", business_unit=unit)
        for code, user in people.items():
            ClientTeamMember.objects.create(
                client=client, role=Role.objects.get(code=code), user=user
            )
        services.start_run(
            by=people["account_manager"],
            playbook=playbook,
            subject_id=client.pk,
            anchors={"kickoff": START - timedelta(hours=2)},
        )


_queries = queries_of_page


@pytest.mark.parametrize(
    "url",
    [
        "/work/",
        "/work/tasks/",
        "/work/tasks/?scope=all",
        "/playbooks/",
        "/api/v1/tasks",
        "/api/v1/runs",
        "/api/v1/playbooks",
    ],
)
def test_a_page_costs_the_same_queries_for_two_clients_as_for_twelve(
    clock: Any,
    client: HttpClient,
    publish: Any,
    north: BusinessUnit,
    account_manager: User,
    csm: User,
    url: str,
) -> None:
    Team.objects.create(name="Onboarding desk").members.add(account_manager)
    publish(DESK_CHORES)
    people = {"account_manager": account_manager, "client_success_manager": csm}
    client.force_login(account_manager)
    _grow(people, north, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(people, north, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 clients, {large} for 12"
