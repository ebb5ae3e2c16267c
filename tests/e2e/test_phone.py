"""On a phone (390 px wide): the header's menu opens from its button, and the clients
list reads as stacked rows without scrolling sideways."""

import pytest
from playwright.sync_api import Browser, expect

from retainops.clients.testing import ClientFactory
from retainops.core.testing import BusinessUnitFactory, UserFactory
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_menu_opens_and_the_clients_list_fits_a_phone(browser: Browser, live_server):
    north = BusinessUnitFactory.create(code="north", name="North Media")
    UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    for name in ("Harbor Dental", "Meadowbrook Hotel and Conference Centre", "Aspen Homes"):
        ClientFactory.create(name=name, business_unit=north)
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "amy_am", "pass-word-1")

        clients_link = page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Clients"
        )
        expect(clients_link).to_be_hidden()
        menu = page.locator("summary", has_text="Menu")
        menu.focus()
        page.keyboard.press("Enter")
        expect(clients_link).to_be_visible()
        clients_link.click()

        expect(page.get_by_role("heading", name="Clients")).to_be_visible()
        expect(
            page.get_by_role("link", name="Meadowbrook Hotel and Conference Centre")
        ).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        # Stacked rows: each cell names its column.
        status = page.locator("table.responsive td[data-label='Status']").first
        assert "STATUS" in status.evaluate("e => getComputedStyle(e, '::before').content").upper()
        assert status.evaluate("e => getComputedStyle(e).display") == "block"

        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
    finally:
        context.close()
