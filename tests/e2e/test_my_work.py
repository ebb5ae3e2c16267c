"""The hand-off in a real browser: the account manager finds first contact in My work and
completes it; the sales rep writes the hand-off notes from My work too; only then does the
success manager find the check-in."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.playbooks import services
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Run, Task
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HANDOFF = Path(services.__file__).resolve().parent / "library" / "sales-handoff.yaml"
PASSWORD = "pass-word-1"
FIRST_CONTACT = "First contact with the client"
HANDOFF_NOTES = "Write the hand-off notes for operations"
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


def _complete_from_my_work(page: Page, title: str, note: str) -> None:
    """Open the task from My work, write what was done, and complete it."""
    _open_my_work(page)
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()
    page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Complete", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Done: {title} (Harbor Dental).")
    expect(page.get_by_role("link", name=title)).to_have_count(0)


def test_first_contact_and_notes_completed_in_my_work_bring_the_check_in_to_the_success_manager(
    page: Page, new_page: Callable[[], Page], live_server, handoff_run: Run
) -> None:
    # Amy, the account manager, makes first contact.
    sign_in(page, live_server.url, "amy_am", PASSWORD)
    _complete_from_my_work(page, FIRST_CONTACT, "Called Dana; kickoff on Friday.")
    first_contact = Task.objects.get(run=handoff_run, step_key="first_contact")
    assert first_contact.state == TaskState.DONE
    assert first_contact.note == "Called Dana; kickoff on Friday."

    # Cleo, the success manager, has nothing yet: the check-in needs the notes as well.
    cleo = new_page()
    sign_in(cleo, live_server.url, "cleo_csm", PASSWORD)
    _open_my_work(cleo)
    expect(cleo.get_by_role("link", name=CHECK_IN)).to_have_count(0)

    # Sol, the sales rep, writes the hand-off notes from his own My work.
    sol = new_page()
    sign_in(sol, live_server.url, "sol_sales", PASSWORD)
    _complete_from_my_work(sol, HANDOFF_NOTES, "Sold SEO and SEM for a year.")
    notes = Task.objects.get(run=handoff_run, step_key="handoff_notes")
    assert notes.state == TaskState.DONE
    assert notes.note == "Sold SEO and SEM for a year."
    assert notes.closed_by is not None and notes.closed_by.username == "sol_sales"

    _open_my_work(cleo)
    upcoming = cleo.get_by_role("region", name="Upcoming")
    expect(upcoming.get_by_role("link", name=CHECK_IN)).to_be_visible()
    expect(upcoming).to_contain_text("Harbor Dental")
