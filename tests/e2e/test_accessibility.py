"""Every main page, signed in as an account manager with a client's whole story, passes
axe-core's WCAG 2.2 A/AA rules with no serious or critical violation; each page is
screenshot into var/screenshots/. A failed submit puts focus on the error summary."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible, screenshot
from tests.e2e.conftest import sign_in
from tests.e2e.world import PASSWORD, World, build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(reference_data: None) -> World:
    return build_world()


def main_pages(world: World) -> dict[str, str]:
    client = world.client.pk
    return {
        "home": "/",
        "search": f"/search/?q={world.client.name.split()[0]}",
        "my-work": "/work/",
        "task": f"/work/tasks/{world.task.pk}/",
        "clients": "/clients/",
        "client": f"/clients/{client}/",
        "contact-plan": f"/clients/{client}/cadence/",
        "run": f"/playbooks/runs/{world.task.run_id}/",
        "changes": "/changes/",
        "change-request": f"/changes/{world.change_request.pk}/",
        "onboarding": "/onboarding/",
        "program": f"/onboarding/programs/{world.program.pk}/",
        "complaints": "/complaints/",
        "complaint": f"/complaints/{world.complaint.pk}/",
        "voice": "/voice/",
        "drops": "/drops/",
        "outbox": "/messages/",
        "notifications": "/notifications/",
        "new-client": "/clients/new/",
    }


def test_every_main_page_passes_axe(page: Page, live_server, world: World) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, world.user.username, PASSWORD)
    failures = []
    for name, path in main_pages(world).items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.ok, f"{name}: {path} answered {response}"
        screenshot(page, f"page-{name}")
        try:
            assert_accessible(page, name)
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n\n".join(failures)


def test_the_client_portal_passes_axe(page: Page, live_server, world: World) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{world.portal_path}")
    expect(page.get_by_text(world.program.name).first).to_be_visible()
    screenshot(page, "page-portal")
    assert_accessible(page, "the client portal")


def test_the_login_page_passes_axe(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/login/")
    assert_accessible(page, "the login page")


def test_a_failed_submit_puts_focus_on_the_error_summary(
    page: Page, live_server, world: World
) -> None:
    sign_in(page, live_server.url, world.user.username, PASSWORD)
    page.goto(f"{live_server.url}/clients/new/")
    page.get_by_role("button", name="Save").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    expect(summary.get_by_role("link", name="Name: This field is required.")).to_be_visible()
    assert_accessible(page, "the new client form with errors")
    screenshot(page, "page-new-client-errors")

    # Following a problem's link puts the cursor in its field.
    summary.get_by_role("link", name=re.compile("^Name:")).click()
    expect(page.locator("#id_name")).to_be_focused()
