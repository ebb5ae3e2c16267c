"""A client's health in a real browser: scored green on the first day, then a complaint's
first-response clock breaches and a planned contact is missed; the next day's sweep
scores it lower, and its account manager sees the new score with the reasons on the
client page.

The worker's `tick` and the health sweep run in this process, which shares the live
server's database, and the clock is moved instead of waited for."""

import importlib
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from retainops.cadence import services as cadence
from retainops.cadence.choices import ContactChannel as TouchChannel
from retainops.cadence.choices import OccurrenceState, TouchpointSource
from retainops.cadence.models import ContactKind, Occurrence, Touchpoint
from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.complaints import services as complaints
from retainops.complaints.models import ComplaintCategory
from retainops.core.models import Role, User
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.health.models import HealthSnapshot
from retainops.health.sweep import drain
from retainops.messaging.tests.conftest import START
from tests.e2e.conftest import sign_in, tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LATER = START + timedelta(days=15)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def amy(reference_data: None) -> User:
    """Amy, account manager in North (with the reference rows the complaints, cadence
    and health migrations write: categories, contact kinds, the default scorecard)."""
    for module in (
        "retainops.complaints.migrations.0002_reference_data",
        "retainops.cadence.migrations.0002_kinds_and_planners",
    ):
        importlib.import_module(module).write_reference_data(django_apps, None)
    importlib.import_module("retainops.health.migrations.health_0002").create(django_apps, None)
    north = BusinessUnitFactory.create(code="north", name="North Media")
    return UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])


@pytest.fixture
def harbor(amy: User, clock: time_machine.Traveller) -> Client:
    client = ClientFactory.create(name="Harbor Dental", business_unit=amy.business_units.get())
    client.go_live()
    client.save()
    ContactFactory.create(client=client, name="Hal Harbor")
    ClientTeamMember.objects.create(
        client=client, user=amy, role=Role.objects.get(code="account_manager")
    )
    Touchpoint.objects.create(
        client=client,
        channel=TouchChannel.CALL,
        at=START - timedelta(hours=1),
        by=amy,
        source=TouchpointSource.LOGGED,
    )
    return client


def test_the_score_falls_after_a_breached_complaint_and_a_missed_contact(
    page: Page, live_server, amy: User, harbor: Client, clock: time_machine.Traveller
) -> None:
    drain(now=timezone.now())
    first = HealthSnapshot.objects.get(client=harbor)
    assert first.band == "green", first.contributions

    # A weekly e-mail from 1 December that nobody sends, and a complaint nobody answers.
    cadence.add_plan_item(
        by=amy,
        client=harbor,
        kind=ContactKind.objects.get(code="weekly-email"),
        rrule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 12, 1),
        owner_role="account_manager",
    )
    complaints.raise_complaint(
        by=amy,
        client=harbor,
        channel="phone",
        severity="high",
        category=ComplaintCategory.objects.order_by("id").first(),
        summary="Monthly report late again",
        description="The report came two weeks late with no commentary.",
    )

    clock.move_to(LATER)
    tick()
    assert Occurrence.objects.filter(client=harbor, state=OccurrenceState.MISSED).count() == 1
    drain(now=timezone.now())
    later = HealthSnapshot.objects.get(client=harbor, day=LATER.date())
    assert later.score < first.score

    sign_in(page, live_server.url, "amy_am", "pass-word-1")
    page.goto(f"{live_server.url}/clients/{harbor.pk}/")
    card = page.locator("#health")
    expect(card.locator(".health-score")).to_have_text(f"{later.score:.0f}")
    reasons = card.locator(".health-reason")
    expect(reasons.filter(has_text="1 breached complaint")).to_have_count(1)
    expect(reasons.filter(has_text="1 planned contact missed")).to_have_count(1)
    expect(reasons.filter(has_text="no touchpoint for 15 days")).to_have_count(1)
    expect(card).to_contain_text(LATER.date().isoformat())
    assert f"{first.score:.0f}" != f"{later.score:.0f}"
