"""A client's page answers in a number of queries fixed by the page, not by how long the
client's history is: its contacts, contracts and lines, record history, timeline, tasks,
programs, change requests, complaints and messages (the panels of the apps above clients)
are counted at two sizes."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from retainops.changes.models import ChangeReason
from retainops.changes.services import raise_change_request
from retainops.clients.models import Client, ClientTeamMember, ServiceLine
from retainops.clients.testing import ClientFactory, ContactFactory, make_contract
from retainops.complaints.models import BusinessCalendar, ComplaintCategory
from retainops.complaints.services import raise_complaint
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory, queries_of_page
from retainops.messaging.services import Outgoing, queue_message
from retainops.onboarding.services import Line, create_program
from retainops.playbooks.models import Playbook, TimelineEvent
from retainops.playbooks.services import publish_playbook, start_run
from retainops.playbooks.views import TIMELINE_PAGE

pytestmark = pytest.mark.django_db

FOLLOW_UP = """
key: follow-up
name: Follow-up
steps:
  - key: call
    title: Call the client
    owner: role:account_manager
    due: 1 day after started
  - key: write
    title: Write the summary
    owner: role:account_manager
    needs: [call]
"""


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User) -> Client:
    BusinessCalendar.objects.create(
        business_unit=north,
        time_zone="Europe/London",
        working_days=[1, 2, 3, 4, 5],
        opens_at=time(9),
        closes_at=time(17),
        holiday_country="GB",
        holiday_subdivision="ENG",
    )
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    client.go_live()
    client.save()
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=account_manager
    )
    ops = UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])
    publish_playbook(by=ops, source=FOLLOW_UP)
    # A past longer than a page of the timeline (on the client's page and its own page),
    # the record's creation older still: at both sizes the timeline is cut at its edge and
    # finds at once that older entries are left (a few queries more, once, than for a
    # client whose whole story fits on the page).
    long_ago = timezone.now() - timedelta(days=365)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            client=client,
            kind="task_done",
            summary=f"Past step {n}",
            at=long_ago + timedelta(hours=n),
        )
        for n in range(TIMELINE_PAGE + 5)
    )
    Client.history.filter(id=client.pk).update(history_date=long_ago - timedelta(days=365))
    return client


def _grow(client: Client, by: User, start: int, count: int) -> None:
    """`count` more of everything the page shows of the client."""
    playbook = Playbook.objects.get(key="follow-up")
    reason = ChangeReason.objects.get(code="budget-cut")
    category = ComplaintCategory.objects.get(code="reporting")
    for n in range(start, start + count):
        ContactFactory.create(client=client, name=f"Contact {n:03d}", email=f"c{n}@harbor.example")
        make_contract(client, {"targeted-display": "2000.00", "seo": "1000.00"})
        client.notes = f"Note {n}"
        client.save()  # a history row
        TimelineEvent.objects.create(
            client=client, kind="task_done", summary=f"Step {n}", actor=by, at=timezone.now()
        )
        start_run(by=by, playbook=playbook, subject_id=client.pk, anchors={})
        raise_change_request(
            by=by,
            client=client,
            kind="pause",
            reason=reason,
            escalation="team_lead",
            effective_date=date(2026, 12, 31) + timedelta(days=n),
        )
        raise_complaint(
            by=by,
            client=client,
            channel="phone",
            severity="high",
            category=category,
            summary=f"Report late {n:03d}",
            description="The monthly report arrived late.",
        )
        outgoing = Outgoing(subject=f"Report {n}", body_text="Your report.", to=["contacts"])
        queue_message(outgoing=outgoing, client=client, cause="report", by=by)
        create_program(
            by=by,
            client=client,
            name=f"Campaign {n:03d}",
            start_date=date(2026, 12, 1),
            end_date=date(2027, 5, 31),
            lines=[Line(ServiceLine.objects.get(code="sem"), Decimal("1500.00"))],
            details={},
        )


_queries = queries_of_page


# What the client's own page costs: its record history is read once for the history
# section and the timeline panel, and its panels merge reads of the same rows.
CLIENT_PAGE_QUERIES = 57


@pytest.mark.parametrize("page", ["", "timeline/", "cadence/"])
def test_a_client_page_costs_the_same_queries_for_a_short_history_as_for_a_long_one(
    client: HttpClient, account_manager: User, harbor: Client, page: str
) -> None:
    url = f"/clients/{harbor.pk}/{page}"
    client.force_login(account_manager)
    _grow(harbor, account_manager, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(harbor, account_manager, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 of each, {large} for 12"
    if page == "":
        assert small <= CLIENT_PAGE_QUERIES, f"{url}: {small} queries, over its budget"
