"""A cancellation in a real browser, from the account manager to the vendor notice: the
account manager raises it on the client page and submits it; the approver and then the
department manager approve it from My work; operations hears of it by e-mail; accounting
processes it from My work; the department manager is reminded 14, 7 and 1 days before
the effective date; on that date the client is cancelled by itself; the partner team
reports each removal and the department manager verifies it; the vendor is told.

Every step a person takes is taken in the pages, signed in as that person. The worker's
`tick` runs in this process, which shares the live server's database, and the clock is
moved instead of waited for."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urljoin

import pytest
import time_machine
from playwright.sync_api import Page, expect

from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ChangeRequest, Removal
from retainops.changes.tests.conftest import (  # noqa: F401
    EFFECTIVE,
    accountant,
    approval_playbook,
    approver,
    budget_cut,
    clock,
    department_manager,
    harbor,
    lists,
    partner,
    smtp,
    smtp_server,
)
from retainops.clients.choices import ClientStatus
from retainops.clients.models import Client
from retainops.core.models import User
from retainops.messaging.testing import SmtpPeer
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Run, Task
from retainops.playbooks.tests.conftest import ops_lead  # noqa: F401
from tests.e2e.conftest import sign_in, tick

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("approval_playbook", "lists"),
]

PASSWORD = "pass-word-1"
PROCESS = "Process the change in the records and billing"
PREPARE = "Prepare the department for the effective date"


def step(change: ChangeRequest, key: str) -> Task:
    run = Run.objects.filter(subject_type="change_request", subject_id=change.pk).latest("id")
    return Task.objects.get(run=run, step_key=key)


def signed_in(new_page: Callable[[], Page], base_url: str, user: User) -> Page:
    page = new_page()
    sign_in(page, base_url, user.username, PASSWORD)
    return page


def raise_and_submit(page: Page) -> ChangeRequest:
    """The account manager raises the cancellation on the client page and submits it."""
    page.goto(urljoin(page.url, "/clients/"))  # signing in lands on the home page
    page.get_by_role("link", name="Harbor Dental").click()
    page.get_by_role("link", name="Raise a change request").click()
    page.get_by_label("Kind").select_option(label="Cancellation")
    page.get_by_label("Reason").select_option(label="Reducing the marketing budget")
    page.get_by_label("Escalate to").select_option(label="Team lead")
    page.get_by_label("Effective date").fill(EFFECTIVE.isoformat())
    page.get_by_label("Change notes").fill("Budget cut for next year; keep the CRM.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#request-status")).to_have_text("Draft")

    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("the approval chain has started")
    expect(page.locator("#request-status")).to_have_text("In approval")
    expect(page.get_by_role("region", name="Approvals")).to_contain_text("First approval")
    return ChangeRequest.objects.get(client__name="Harbor Dental")


def open_in_my_work(page: Page, title: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^My work")
    ).click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()


def approve_in_my_work(page: Page, title: str) -> None:
    open_in_my_work(page, title)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"{title} (Harbor Dental)")


def process_in_my_work(page: Page) -> None:
    """Accounting opens the processing step from My work and completes it with a note."""
    open_in_my_work(page, PROCESS)
    page.get_by_label("Note").fill("Billing stops after December; final invoice issued.")
    page.get_by_role("button", name="Complete", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Done: {PROCESS} (Harbor Dental).")


def morning(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


def early_morning(day: date) -> datetime:
    return datetime.combine(day, time(2), tzinfo=UTC)


def department_reminders(peer: SmtpPeer) -> list[list[str]]:
    """Who each department reminder the SMTP server received so far was sent to (a long
    subject arrives folded onto its own line, so it is compared without that space)."""
    subject = f"Reminder: {PREPARE} (Harbor Dental)"
    return [m.envelope_to for m in peer.received if m.subject.strip() == subject]


def offboard(
    new_page: Callable[[], Page], base_url: str, change: ChangeRequest, remover: User, dm: User
) -> None:
    """The partner team reports each removal; the department manager verifies each."""
    url = f"{base_url}/changes/{change.pk}/"
    for person, button in ((remover, "Removed"), (dm, "Verified")):
        page = signed_in(new_page, base_url, person)
        page.goto(url)
        offboarding = page.get_by_role("region", name="Offboarding")
        buttons = offboarding.get_by_role("button", name=re.compile(f"^{button}"))
        for _ in range(2):
            expect(buttons.first).to_be_visible()
            buttons.first.click()
            expect(page.get_by_role("status")).to_contain_text(
                "Removed from" if button == "Removed" else "verified"
            )
        expect(page.get_by_role("region", name="Offboarding").get_by_role("button")).to_have_count(
            0
        )


def test_a_cancellation_goes_from_the_account_manager_to_the_vendor_notice(
    page: Page,
    new_page: Callable[[], Page],
    live_server,
    harbor: Client,  # noqa: F811
    approver: User,  # noqa: F811
    department_manager: User,  # noqa: F811
    accountant: User,  # noqa: F811
    partner: User,  # noqa: F811
    ops_lead: User,  # noqa: F811
    smtp: SmtpPeer,  # noqa: F811
    clock: time_machine.Traveller,  # noqa: F811
) -> None:
    base_url = live_server.url
    sign_in(page, base_url, "amy_am", PASSWORD)
    change = raise_and_submit(page)
    assert change.submitted_by is not None and change.submitted_by.username == "amy_am"

    approve_in_my_work(signed_in(new_page, base_url, approver), "First approval")
    approve_in_my_work(signed_in(new_page, base_url, department_manager), "Director approval")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED

    tick()
    [notice] = [m for m in smtp.received if m.subject.startswith("Approved:")]
    assert sorted(notice.envelope_to) == sorted([ops_lead.email, department_manager.email])
    assert "Budget cut for next year; keep the CRM." in notice.part("text/plain")

    process_in_my_work(signed_in(new_page, base_url, accountant))
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROCESSED
    processed = step(change, "process")
    assert processed.closed_by == accountant
    assert processed.note == "Billing stops after December; final invoice issued."

    # Dora, the department manager, is reminded 14, 7 and 1 days ahead: none early, each once.
    # Reminders fall at midnight; the worker is visited two hours later, within the grace
    # after which a reminder too late to help is recorded missed instead of sent.
    for days_before, received in ((15, 0), (14, 1), (13, 1), (7, 2), (1, 3)):
        clock.move_to(early_morning(EFFECTIVE - timedelta(days=days_before)))
        tick()
        assert department_reminders(smtp) == [[department_manager.email]] * received, days_before

    clock.move_to(morning(EFFECTIVE))
    tick()
    am_page = signed_in(new_page, base_url, User.objects.get(username="amy_am"))
    am_page.goto(f"{base_url}/clients/")
    am_page.get_by_role("link", name="Harbor Dental").click()
    expect(am_page.locator("#client-status")).to_have_text("Cancelled")
    expect(am_page.get_by_role("region", name="Change requests")).to_contain_text("In effect")

    offboard(new_page, base_url, change, partner, department_manager)
    assert set(Removal.objects.filter(request=change).values_list("state", flat=True)) == {
        "verified"
    }
    assert step(change, "verify_removals").state == TaskState.DONE

    tick()
    [vendor] = [m for m in smtp.received if m.subject.startswith("Cancellation:")]
    assert vendor.envelope_to == ["west@vendor.example"]
    assert (
        "Please be advised Harbor Dental will cancel, effective 31 December 2026, "
        "for reducing the marketing budget" in vendor.part("text/plain")
    )
    assert Client.objects.get(pk=harbor.pk).status == ClientStatus.CANCELLED
    assert department_reminders(smtp) == [[department_manager.email]] * 3
