"""A cancellation in a real browser, from the account manager to the vendor notice: the
account manager raises it on the client page and submits it; the approver and then the
department manager approve it from My work; operations hears of it by e-mail; on the
effective date the client is cancelled by itself; the partner team reports each removal
and the department manager verifies it; the vendor is told.

The pages are driven where a person acts on them; accounting's step is completed
through the service, as My work would. The worker's `tick` runs in this process, which
shares the live server's database, and the clock is moved instead of waited for."""

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ChangeRequest, Removal
from retainops.changes.tests.conftest import (  # noqa: F401
    EFFECTIVE,
    START,
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
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import TaskState, TimerKind
from retainops.playbooks.models import Run, Task, Timer
from retainops.playbooks.tests.conftest import ops_lead  # noqa: F401
from tests.e2e.conftest import sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("approval_playbook", "lists"),
]

PASSWORD = "pass-word-1"


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Pages in fresh browser contexts: another person, with cookies of their own."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def tick() -> None:
    call_command("tick", stdout=StringIO())


def step(change: ChangeRequest, key: str) -> Task:
    run = Run.objects.filter(subject_type="change_request", subject_id=change.pk).latest("id")
    return Task.objects.get(run=run, step_key=key)


def signed_in(new_page: Callable[[], Page], base_url: str, user: User) -> Page:
    page = new_page()
    sign_in(page, base_url, user.username, PASSWORD)
    return page


def raise_and_submit(page: Page) -> ChangeRequest:
    """The account manager raises the cancellation on the client page and submits it."""
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


def approve_in_my_work(page: Page, title: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^My work")
    ).click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"{title} (Harbor Dental)")


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
    assert change.submitted_by.username == "amy_am"

    approve_in_my_work(signed_in(new_page, base_url, approver), "First approval")
    approve_in_my_work(signed_in(new_page, base_url, department_manager), "Director approval")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED

    tick()
    [notice] = [m for m in smtp.received if m.subject.startswith("Approved:")]
    assert sorted(notice.envelope_to) == sorted([ops_lead.email, department_manager.email])
    assert "Budget cut for next year; keep the CRM." in notice.part("text/plain")

    playbooks.complete_task(by=accountant, task=step(change, "process"))
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PROCESSED
    reminders = Timer.objects.filter(task=step(change, "prepare_department"), kind=TimerKind.REMIND)
    assert sorted(t.due_at.date() for t in reminders) == [
        EFFECTIVE - timedelta(days=14),
        EFFECTIVE - timedelta(days=7),
        EFFECTIVE - timedelta(days=1),
    ]

    clock.move_to(START + timedelta(days=37))  # the morning of the effective date
    tick()
    am_page = signed_in(new_page, base_url, User.objects.get(username="amy_am"))
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
