"""The hand-off in a real browser: the account manager finds first contact in My work and
completes it; once the sales rep's notes are in too, the success manager finds the check-in."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from retainops.clients.models import ClientTeamMember
from retainops.core.models import Role, User
from retainops.core.testing import BusinessUnitFactory, ClientFactory, UserFactory
from retainops.playbooks import services
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Run, Task
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HANDOFF = Path(services.__file__).resolve().parent / "library" / "sales-handoff.yaml"
PASSWORD = "pass-word-1"
FIRST_CONTACT = "First contact with the client"
CHECK_IN = "Check in with the client a week after first contact"


@pytest.fixture
def handoff_run() -> Run:
    """Harbor Dental, sold an hour ago, with its hand-off under way and a full team."""
    north = BusinessUnitFactory.create(code="north", name="North Media")
    people = {
        "sales_rep": UserFactory.create(username="sol_sales", roles=["sales_rep"], units=[north]),
        "account_manager": UserFactory.create(
            username="amy_am", roles=["account_manager"], units=[north]
        ),
        "client_success_manager": UserFactory.create(
            username="cleo_csm", roles=["client_success_manager"], units=[north]
        ),
    }
    ops_lead = UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])
    harbor = ClientFactory.create(name="Harbor Dental", business_unit=north)
    for code, user in people.items():
        ClientTeamMember.objects.create(client=harbor, role=Role.objects.get(code=code), user=user)
    version = services.publish_playbook(by=ops_lead, source=HANDOFF.read_text())
    return services.start_run(
        by=people["sales_rep"],
        playbook=version.playbook,
        subject_id=harbor.pk,
        anchors={"sold": timezone.now() - timedelta(hours=1)},
    )


def _open_my_work(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^My work")
    ).click()
    expect(page.get_by_role("heading", name="My work", exact=True)).to_be_visible()


def test_first_contact_completed_in_my_work_brings_the_check_in_to_the_success_manager(
    page: Page, browser: Browser, live_server, handoff_run: Run
) -> None:
    sign_in(page, live_server.url, "amy_am", PASSWORD)
    _open_my_work(page)
    page.get_by_role("link", name=FIRST_CONTACT).click()
    expect(page.get_by_role("heading", name=re.compile(FIRST_CONTACT))).to_be_visible()
    page.get_by_label("Note").fill("Called Dana; kickoff on Friday.")
    page.get_by_role("button", name="Complete", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(f"Done: {FIRST_CONTACT} (Harbor Dental).")
    expect(page.get_by_role("link", name=FIRST_CONTACT)).to_have_count(0)
    first_contact = Task.objects.get(run=handoff_run, step_key="first_contact")
    assert first_contact.state == TaskState.DONE
    assert first_contact.note == "Called Dana; kickoff on Friday."

    # The check-in needs the sales rep's hand-off notes as well.
    sales_rep = User.objects.get(username="sol_sales")
    notes = Task.objects.get(run=handoff_run, step_key="handoff_notes")
    services.complete_task(by=sales_rep, task=notes, note="Sold SEO and SEM for a year.")

    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        csm_page = context.new_page()
        sign_in(csm_page, live_server.url, "cleo_csm", PASSWORD)
        _open_my_work(csm_page)
        upcoming = csm_page.get_by_role("region", name="Upcoming")
        expect(upcoming.get_by_role("link", name=CHECK_IN)).to_be_visible()
        expect(upcoming).to_contain_text("Harbor Dental")
    finally:
        context.close()
