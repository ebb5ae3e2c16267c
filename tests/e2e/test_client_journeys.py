"""Key journeys in a real browser: sign in, find a client, edit it, be refused."""

import re

import pytest
from playwright.sync_api import Page, expect

from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory
from retainops.core.models import DemoMarker
from retainops.core.testing import BusinessUnitFactory, UserFactory
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agency():
    north = BusinessUnitFactory.create(code="north", name="North Media")
    south = BusinessUnitFactory.create(code="south", name="South Digital")
    for index in range(30):
        ClientFactory.create(name=f"Filler Client {index:02d}", business_unit=north)
    ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientFactory.create(name="Cedar Auto", business_unit=south)
    UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    UserFactory.create(username="sid_service", roles=["service_team"], units=[north])
    return north


def test_sign_in_find_and_edit_a_client(page: Page, live_server, agency):
    sign_in(page, live_server.url, "amy_am", "pass-word-1")
    page.goto(f"{live_server.url}/clients/")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    expect(page.get_by_text("Cedar Auto")).to_have_count(0)

    page.get_by_label("Search clients").fill("harbor")
    expect(page.locator("table.clients tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Harbor Dental").click()

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name").fill("Harbor Dental Group")
    page.get_by_label("Industry").fill("Dentistry")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name=re.compile("Harbor Dental Group"))).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Harbor Dental → Harbor Dental Group")
    assert Client.objects.get(name="Harbor Dental Group").industry == "Dentistry"


def test_invalid_edit_shows_the_error_and_keeps_the_record(page: Page, live_server, agency):
    harbor = Client.objects.get(name="Harbor Dental")
    sign_in(page, live_server.url, "amy_am", "pass-word-1")
    page.goto(f"{live_server.url}/clients/{harbor.pk}/edit/")
    page.get_by_label("Name").fill("")
    page.get_by_label("Website").fill("not a web address")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Website: Enter a valid URL.")).to_be_visible()
    expect(page.get_by_text("Enter a valid URL.", exact=True)).to_be_visible()
    assert Client.objects.get(pk=harbor.pk).name == "Harbor Dental"


def test_service_agent_is_refused_an_edit(page: Page, live_server, agency):
    harbor = Client.objects.get(name="Harbor Dental")
    sign_in(page, live_server.url, "sid_service", "pass-word-1")
    page.goto(f"{live_server.url}/clients/")
    page.get_by_role("link", name="Harbor Dental").click()
    expect(page.get_by_role("heading", name=re.compile("Harbor Dental"))).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    page.goto(f"{live_server.url}/clients/{harbor.pk}/edit/")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert Client.objects.get(pk=harbor.pk).name == "Harbor Dental"


def test_filters_and_pages_through_the_list(page: Page, live_server, agency, settings):
    sign_in(page, live_server.url, "amy_am", "pass-word-1")
    page.goto(f"{live_server.url}/clients/")
    expect(page.get_by_text(re.compile(r"Page 1 of \d+ · 31 clients"))).to_be_visible()
    page.get_by_role("combobox", name="Status").select_option("onboarding")
    expect(page.get_by_text(re.compile("31 clients"))).to_be_visible()
    page.get_by_role("combobox", name="Status").select_option("active")
    expect(page.get_by_text("No client matches these filters.")).to_be_visible()


def test_login_page_lists_demo_accounts_when_demo_data_is_loaded(page: Page, live_server, agency):
    DemoMarker.objects.create(usernames=["amy_am", "sid_service"])
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("region", name="Demo logins")).to_contain_text("sid_service")
