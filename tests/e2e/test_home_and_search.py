"""The way in, in a real browser: signing in lands on the home page; the header's search
box finds a client by name and its hit opens the client. Then the same account manager
on a phone walks from My work to a task, to its client, to the program and its client
portal. Every step is screenshot into var/screenshots/."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import screenshot
from tests.e2e.conftest import sign_in
from tests.e2e.world import CLIENT_NAME, PASSWORD, PROGRAM_NAME, World, build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(reference_data: None) -> World:
    return build_world()


def test_sign_in_lands_home_and_the_header_search_opens_the_client(
    page: Page, live_server, world: World
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, world.user.username, PASSWORD)
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("heading", name="My clients at risk")).to_be_visible()
    screenshot(page, "home", full_page=False)

    search_box = page.get_by_role("banner").get_by_role("searchbox")
    search_box.fill("Harbor")
    search_box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=Harbor"))
    expect(page.get_by_role("heading", name=re.compile("^Search"))).to_be_visible()
    screenshot(page, "search-results")

    page.get_by_role("main").get_by_role("link", name=CLIENT_NAME, exact=True).first.click()
    page.wait_for_url(f"{live_server.url}/clients/{world.client.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CLIENT_NAME)
    screenshot(page, "client", full_page=False)


def test_on_a_phone_from_my_work_to_the_task_the_client_and_its_portal(
    page: Page, live_server, world: World
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, world.user.username, PASSWORD)
    # Straight to My work: how the header's links fold away on a phone is the header's
    # business, not this walk's.
    page.goto(f"{live_server.url}/work/")
    expect(page.get_by_role("heading", name="My work", exact=True)).to_be_visible()
    screenshot(page, "phone-1-my-work")

    page.get_by_role("link", name=world.task.title).click()
    expect(
        page.get_by_role("heading", name=re.compile(re.escape(world.task.title)))
    ).to_be_visible()
    screenshot(page, "phone-2-task")

    page.get_by_role("main").get_by_role("link", name=CLIENT_NAME, exact=True).first.click()
    page.wait_for_url(f"{live_server.url}/clients/{world.client.pk}/")
    screenshot(page, "phone-3-client")

    page.get_by_role("link", name=PROGRAM_NAME).click()
    portal_link = page.get_by_role("textbox", name="Portal link")
    expect(portal_link).to_be_visible()
    screenshot(page, "phone-4-program")

    url = portal_link.input_value()
    assert url.endswith(world.portal_path), url
    # The link as a client opens it: another browser, no staff session.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{world.portal_path}")
    expect(page.get_by_text(PROGRAM_NAME).first).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    screenshot(page, "phone-5-portal")
