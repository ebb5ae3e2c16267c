"""A marketing drop in a real browser: the account manager plans a TV spot, sees on the
staffing heat map that the roster falls short of it, and is refused "ready" until the
routing gate passes after a test call through the phone menu."""

import importlib
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.drops import services
from retainops.drops.choices import DropState
from retainops.drops.models import Agent, Drop
from retainops.onboarding.models import Program
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(reference_data: None) -> Program:
    """Amy, account manager in North, with a program of Harbor Dental, its training pack
    acknowledged by the two agents rostered for one hour on the evening of the drop."""
    module = importlib.import_module("retainops.drops.migrations.0002_reference_data")
    module.write_reference_data(django_apps, None)
    north = BusinessUnitFactory.create(code="north", name="North Media")
    amy = UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    client: Client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, user=amy, role=Role.objects.get(code="account_manager")
    )
    today = timezone.localdate()
    program = Program.objects.create(
        client=client,
        name="Winter whitening",
        start_date=today,
        end_date=today + timedelta(days=90),
    )
    at = _drop_at()
    for i in range(2):
        services.add_shift(
            by=amy,
            email=f"agent{i}@service.example",
            name=f"Agent {i}",
            starts_at=at,
            ends_at=at + timedelta(hours=1),
        )
    pack = services.publish_training_pack(
        program=program, by=amy, scripts="Greet the caller", scenarios="", faqs="Q/A"
    )
    for agent in Agent.objects.all():
        services.acknowledge_pack(pack=pack, agent=agent, by=amy)
    return program


def _drop_day() -> date:
    return timezone.localdate() + timedelta(days=8)


def _drop_at() -> datetime:
    return timezone.make_aware(datetime.combine(_drop_day(), time(19, 0)))


def test_plan_a_drop_see_the_gap_and_be_refused_ready_until_routing_passes(
    page: Page, live_server, program
):
    sign_in(page, live_server.url, "amy_am", "pass-word-1")
    page.goto(f"{live_server.url}/drops/")
    page.get_by_role("link", name="Plan a drop").click()
    page.get_by_label("Program").select_option(label="Harbor Dental: Winter whitening")
    page.get_by_label("Name").fill("Evening TV spot")
    page.get_by_label("Channel").select_option("tv")
    page.get_by_label("Date and time").fill(f"{_drop_day().isoformat()}T19:00")
    page.get_by_label("Audience size").fill("200000")
    page.get_by_label("Expected response rate (%)").fill("1")
    page.get_by_role("button", name="Plan the drop").click()

    expect(page.get_by_role("heading", name=re.compile("Evening TV spot"))).to_be_visible()
    expect(page.locator("#drop-state")).to_have_text("Planned")

    # The heat map of that week: two agents for an hour cannot take a TV spot's calls.
    page.get_by_role("link", name="Staffing that week").click()
    expect(page.locator("svg").first).to_be_visible()
    expect(page.locator("#gap-summary")).to_contain_text("half hours short of agents")
    page.go_back()

    # Every gate but routing passes.
    for gate in ("scripts", "faqs", "tools", "training"):
        page.locator(f"#gate-{gate}").get_by_role("button", name="Pass").click()
        expect(page.locator(f"#gate-{gate}")).to_contain_text("passed")

    page.get_by_role("button", name="Mark ready").click()
    expect(page.get_by_role("alert")).to_contain_text("Gates still open: phone menu")
    expect(page.locator("#drop-state")).to_have_text("Planned")

    # Routing cannot pass before a test call is made.
    page.locator("#gate-routing").get_by_role("button", name="Pass").click()
    expect(page.get_by_role("alert")).to_contain_text("Make a test call")
    page.get_by_role("button", name="Record test call").click()
    page.locator("#gate-routing").get_by_role("button", name="Pass").click()
    expect(page.locator("#gate-routing")).to_contain_text("passed")

    page.get_by_role("button", name="Mark ready").click()
    expect(page.locator("#drop-state")).to_have_text("Ready")
    drop = Drop.objects.get(name="Evening TV spot")
    assert drop.state == DropState.READY and drop.override_reason == ""
