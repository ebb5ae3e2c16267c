"""The database ranks the clients at risk exactly as the rule reads in Python
(`ClientRisk.rank` over every client of the person's): the same rows, the same
order, the same figures, on a book that mixes every case of the rule."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max
from django.test.utils import CaptureQueriesContext

from retainops.cadence.models import Touchpoint
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.changes.queries import visible_requests
from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import Role
from retainops.core.testing import queries_of_page
from retainops.health.models import HealthSnapshot, Scorecard
from retainops.health.queries import latest_snapshots
from retainops.home.queries import (
    BAND_ORDER,
    OPEN_REQUEST_STATES,
    ClientRisk,
    clients_at_risk,
    my_clients,
)
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Run, Task

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _python_ranking(user, now):
    """The rule as it read before the database ranked: every client loaded, each
    figure counted, the worrying ones sorted in Python."""
    clients = list(my_clients(user).order_by("name", "pk"))
    ids = [c.pk for c in clients]
    snapshots = latest_snapshots(ids)

    def counts(rows):
        return {r["client_id"]: r["n"] for r in rows.values("client_id").annotate(n=Count("id"))}

    overdue = counts(Task.objects.filter(client_id__in=ids, state=TaskState.OPEN, due_at__lt=now))
    requests = counts(
        visible_requests(user).filter(client_id__in=ids, status__in=OPEN_REQUEST_STATES)
    )
    touched = dict(
        Touchpoint.objects.filter(client_id__in=ids, at__lte=now)
        .values("client_id")
        .annotate(last=Max("at"))
        .values_list("client_id", "last")
    )
    rows = [
        ClientRisk(
            client=c,
            snapshot=snapshots.get(c.pk),
            overdue_steps=overdue.get(c.pk, 0),
            open_requests=requests.get(c.pk, 0),
            days_since_contact=(now - touched[c.pk]).days if c.pk in touched else None,
        )
        for c in clients
    ]

    def worrying(row):
        if row.snapshot is not None:
            return row.snapshot.band != "green" or row.overdue_steps > 0 or row.open_requests > 0
        return row.signals > 0

    return sorted((r for r in rows if worrying(r)), key=ClientRisk.rank)


def _shown(rows):
    return [
        (
            r.client.name,
            r.snapshot.pk if r.snapshot else None,
            r.overdue_steps,
            r.open_requests,
            r.days_since_contact,
        )
        for r in rows
    ]


class Book:
    """Clients of one account manager's, with the helpers that give each its signs."""

    def __init__(self, user, unit, playbook):
        self.user, self.unit, self.playbook = user, unit, playbook
        self.role = Role.objects.get(code="account_manager")
        version = Scorecard.objects.get().current
        assert version is not None
        self.version = version
        self.reason = ChangeReason.objects.get(code="budget-cut")
        self.run = None
        self.tasks = 0

    def client(self, name, *, mine=True):
        client = ClientFactory.create(name=name, business_unit=self.unit)
        if mine:
            ClientTeamMember.objects.create(client=client, role=self.role, user=self.user)
        return client

    def snapshot(self, client, score, band, *, days_ago=0):
        HealthSnapshot.objects.create(
            client=client,
            day=NOW.date() - timedelta(days=days_ago),
            version=self.version,
            score=score,
            band=band,
        )

    def task(self, client, *, due_in, state=TaskState.OPEN):
        if self.run is None:
            self.run = Run.objects.create(
                version=self.playbook,
                subject_type="client",
                subject_id=client.pk,
                client=client,
                business_unit=self.unit,
            )
        self.tasks += 1
        Task.objects.create(
            run=self.run,
            step_key=f"call-{self.tasks}",
            title="Call",
            state=state,
            client=client,
            business_unit=self.unit,
            due_at=NOW + due_in,
        )

    def request(self, client, *, status="draft"):
        made = ChangeRequest.objects.create(
            client=client,
            kind="pause",
            reason=self.reason,
            escalation="retention_team",
            effective_date=date(2026, 12, 31),
            raised_by=self.user,
        )
        ChangeRequest.objects.filter(pk=made.pk).update(status=status)

    def contact(self, client, *, ago):
        Touchpoint.objects.create(client=client, channel="call", at=NOW - ago, source="logged")


@pytest.fixture
def book(account_manager, north, handoff):
    """Every case of the rule: bands, ties of score broken by signs then by name (names
    that differ only by case, or by an accent), unscored clients with one to three
    signs or none, silences either side of the 30 days, a newer snapshot hiding an
    older one, and what must not count (closed tasks and requests, tasks not yet due,
    contacts after now, a client on someone else's team)."""
    b = Book(account_manager, north, handoff)
    # Scored, out of the green band: listed whatever else they show.
    red = b.client("Red Rock")
    b.snapshot(red, 20.0, "red")
    b.task(red, due_in=-timedelta(days=2))
    b.task(red, due_in=-timedelta(hours=1))
    b.contact(red, ago=timedelta(days=1))
    for name in ("acme", "Acme", "ACME", "Émile", "Ezra", "zeta"):  # a tie: one band, one score
        b.snapshot(b.client(name), 20.0, "red")
    tied_with_signs = b.client("Zulu")  # same score, but silent and asked: before the tie
    b.snapshot(tied_with_signs, 20.0, "red")
    b.request(tied_with_signs)
    b.snapshot(b.client("Amber Auto"), 55.0, "amber")
    recovered = b.client("Was Red")  # red last week, amber today: today's counts
    b.snapshot(recovered, 5.0, "red", days_ago=7)
    b.snapshot(recovered, 60.0, "amber")
    # Scored green: listed only with an overdue step or an open request.
    overdue_green = b.client("Green Overdue")
    b.snapshot(overdue_green, 90.0, "green")
    b.task(overdue_green, due_in=-timedelta(minutes=1))
    asking_green = b.client("Green Asking")
    b.snapshot(asking_green, 90.0, "green")
    b.request(asking_green, status="submitted")
    b.request(asking_green, status="approved")
    quiet_green = b.client("Green Quiet")  # silent, but scored green: not listed
    b.snapshot(quiet_green, 85.0, "green")
    fine_green = b.client("Green Fine")  # only what does not count
    b.snapshot(fine_green, 95.0, "red", days_ago=3)
    b.snapshot(fine_green, 95.0, "green")
    b.task(fine_green, due_in=timedelta(hours=1))
    b.task(fine_green, due_in=-timedelta(days=1), state=TaskState.DONE)
    b.request(fine_green, status="effective")
    b.request(fine_green, status="withdrawn")
    # Unscored: listed with any sign, a long silence included.
    b.client("Never Called")  # one sign: silence
    full = b.client("Three Signs")
    b.task(full, due_in=-timedelta(days=5))
    b.request(full)
    b.contact(full, ago=timedelta(days=40))
    two = b.client("Two Signs")
    b.task(two, due_in=-timedelta(days=1))
    b.contact(two, ago=timedelta(days=31))  # 31 whole days: silent
    edge = b.client("Thirty Days")  # 30 days and some hours: not yet silent, no sign
    b.contact(edge, ago=timedelta(days=31) - timedelta(seconds=1))
    b.contact(edge, ago=timedelta(days=60))
    later = b.client("Called Tomorrow")  # only a contact after now: still silent
    b.contact(later, ago=-timedelta(days=1))
    heard = b.client("Heard Today")  # unscored and fine: not listed
    b.contact(heard, ago=timedelta(hours=2))
    asked = b.client("asked once")
    b.request(asked, status="returned")
    b.contact(asked, ago=timedelta(days=3))
    # Someone else's client, however red, is not mine.
    other = b.client("Other Optics", mine=False)
    b.snapshot(other, 1.0, "red")
    return b


def test_the_database_ranks_as_the_rule_reads_in_python(book, account_manager):
    expected = _python_ranking(account_manager, NOW)
    got = clients_at_risk(account_manager, now=NOW, limit=100)
    assert _shown(got) == _shown(expected)
    names = [r.client.name for r in got]
    # One band, one score: more signs first, then names in code-point order, where
    # capitals come before small letters and an accented capital after both.
    tie = ["Zulu", "ACME", "Acme", "Ezra", "Red Rock", "acme", "zeta", "Émile"]
    assert names[: len(tie)] == tie
    assert {"Green Quiet", "Green Fine", "Thirty Days", "Heard Today", "Other Optics"}.isdisjoint(
        names
    )
    assert {"Never Called", "Called Tomorrow", "Two Signs", "Three Signs"} <= set(names)


def test_the_first_ten_are_the_first_ten_of_the_whole_ranking(book, account_manager):
    expected = _python_ranking(account_manager, NOW)
    assert len(expected) > 10
    assert _shown(clients_at_risk(account_manager, now=NOW)) == _shown(expected[:10])


def test_the_figures_shown_are_the_clients_own(book, account_manager):
    rows = {r.client.name: r for r in clients_at_risk(account_manager, now=NOW, limit=100)}
    assert (rows["Red Rock"].overdue_steps, rows["Red Rock"].days_since_contact) == (2, 1)
    assert rows["Green Asking"].open_requests == 2
    recovered = rows["Was Red"].snapshot
    assert recovered is not None and recovered.band == "amber"
    assert rows["Two Signs"].days_since_contact == 31
    assert rows["Called Tomorrow"].days_since_contact is None
    assert rows["Never Called"].signals == 1 and rows["Three Signs"].signals == 3


def test_a_client_twice_on_my_team_is_listed_once(book, account_manager):
    red = book.client("Double Duty")
    book.snapshot(red, 1.0, "red")
    ClientTeamMember.objects.create(
        client=red, role=Role.objects.get(code="client_success_manager"), user=account_manager
    )
    names = [r.client.name for r in clients_at_risk(account_manager, now=NOW, limit=100)]
    assert names.count("Double Duty") == 1 and names[0] == "Double Duty"
    assert my_clients(account_manager).filter(name="Double Duty").count() == 1


def test_band_order_is_the_rank_of_the_health_bands():
    assert list(BAND_ORDER.values()) == [0, 1, 2]


def _grow(book, start, count):
    """`count` more worrying clients, each with every kind of figure the list shows."""
    for n in range(start, start + count):
        client = book.client(f"Lighthouse {n:03d}")
        book.snapshot(client, 30.0 + n, "amber", days_ago=1)
        book.snapshot(client, 10.0 + n, "red")
        book.task(client, due_in=-timedelta(days=1))
        book.request(client)
        book.contact(client, ago=timedelta(days=2))


def _queries_of_list(user):
    with CaptureQueriesContext(connection) as captured:
        rows = clients_at_risk(user, now=NOW)
    return len(rows), len(captured)


def test_the_list_costs_the_same_few_queries_however_many_clients(account_manager, north, handoff):
    book = Book(account_manager, north, handoff)
    _grow(book, 0, 3)
    _queries_of_list(account_manager)  # the first reads the person's units and roles
    # The rank, the clients, their figures, their snapshots.
    assert _queries_of_list(account_manager) == (3, 4)
    _grow(book, 3, 12)
    assert _queries_of_list(account_manager) == (10, 4)


def test_the_home_page_costs_the_same_queries_past_the_cut_of_the_list(
    client, account_manager, north, handoff
):
    book = Book(account_manager, north, handoff)
    client.force_login(account_manager)
    _grow(book, 0, 2)
    queries_of_page(client, "/")  # the first answer warms caches (sessions, content types)
    small = queries_of_page(client, "/")
    _grow(book, 2, 13)
    assert queries_of_page(client, "/") == small
