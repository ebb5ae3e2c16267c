"""Onboarding in a real browser, staff and client: the sales rep creates and sells a
program with half its order, the client sends the rest through the portal, the account
manager uploads the proofs the client approves, go-live is planned and reached, and
the meetings after go-live are booked at their dates.

The pages are driven where a person acts on them (creating and selling the program,
the portal's details form, uploading proofs, the client's approvals, planning
go-live); the other steps are completed through the services, as My work would."""

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django import Settings

from retainops.clients.models import Client, ClientTeamMember
from retainops.core.models import Role, User
from retainops.core.testing import BusinessUnitFactory, ClientFactory, ContactFactory, UserFactory
from retainops.messaging.models import Message
from retainops.onboarding import portal
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Run, Task
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ONBOARDING = Path(playbooks.__file__).resolve().parent / "library" / "onboarding.yaml"
PASSWORD = "pass-word-1"
TEAM = {
    "sales_rep": "sol_sales",
    "account_manager": "amy_am",
    "client_success_manager": "cleo_csm",
    "team_lead": "tess_lead",
    "creative_director": "cora_creative",
}
# What the client still has to send once the sales rep filled half the order.
THE_REST = {
    "Tracking access": "GA4 access granted to ads@agency.example",
    "Keywords": "dentist, dental implants",
    "Search geography": "Massachusetts",
    "Audience targeting": "Families within 25 miles",
    "Creative specifications": "300x250 and 728x90, logo attached",
}


@pytest.fixture
def harbor() -> Client:
    """Harbor Dental in the North unit, its whole team, two contacts; onboarding published."""
    north = BusinessUnitFactory.create(code="north", name="North Media")
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    for role, username in TEAM.items():
        user = UserFactory.create(username=username, roles=[role], units=[north])
        ClientTeamMember.objects.create(client=client, role=Role.objects.get(code=role), user=user)
    ContactFactory.create(
        client=client, name="Dana Diaz", email="dana@harbor.example", is_primary=True
    )
    ContactFactory.create(client=client, name="Evan Ellis", email="evan@harbor.example")
    ops = UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])
    playbooks.publish_playbook(by=ops, source=ONBOARDING.read_text())
    return client


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


def person(role: str) -> User:
    return User.objects.get(username=TEAM[role])


def step(program: Program, key: str) -> Task:
    run = Run.objects.get(subject_type="program", subject_id=program.pk)
    return Task.objects.select_related("meeting").get(run=run, step_key=key)


def complete(program: Program, key: str, role: str) -> None:
    playbooks.complete_task(by=person(role), task=step(program, key))


def create_and_sell(page: Page, base_url: str) -> Program:
    """The sales rep creates the program with half its order, then marks it sold."""
    sign_in(page, base_url, TEAM["sales_rep"], PASSWORD)
    page.get_by_role("link", name="Harbor Dental").click()
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Program name").fill("Spring campaign")
    page.get_by_label("Flight start").fill("2026-12-01")
    page.get_by_label("Flight end").fill("2027-05-31")
    page.get_by_label("Targeted display: monthly budget").fill("2500")
    page.get_by_label("SEM: monthly budget").fill("1500")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name=re.compile("Spring campaign"))).to_be_visible()
    page.get_by_label(re.compile("^Billing contact e-mail")).fill("bills@harbor.example")
    page.get_by_label(re.compile("^Landing page")).fill("harbor.example/spring")
    page.get_by_label(re.compile("^Geography")).fill("Boston, 25 miles")
    page.get_by_role("button", name="Save the order").click()
    expect(page.get_by_role("status")).to_contain_text("Order saved. 5 details still missing.")

    page.get_by_role("button", name="Mark sold").click()
    expect(page.locator("#program-status")).to_have_text("Sold: onboarding")
    onboarding = page.get_by_role("region", name="Onboarding")
    expect(onboarding).to_contain_text("Internal production meeting on the order")
    return Program.objects.get(name="Spring campaign")


def client_sends_the_rest(portal_page: Page, url: str) -> None:
    portal_page.goto(url)
    expect(portal_page.get_by_role("heading", name="Spring campaign")).to_be_visible()
    details = portal_page.get_by_role("region", name="Details we need")
    for label, value in THE_REST.items():
        details.get_by_label(label, exact=True).fill(value)
    details.get_by_label(re.compile("^Your name")).fill("Dana Diaz")
    details.get_by_role("button", name="Send the details").click()
    expect(portal_page.get_by_role("status")).to_contain_text("your team has the details")
    expect(portal_page.get_by_text("We have every detail we need.")).to_be_visible()


def upload_proofs(am_page: Page, base_url: str, program: Program) -> None:
    sign_in(am_page, base_url, TEAM["account_manager"], PASSWORD)
    am_page.goto(f"{base_url}/onboarding/programs/{program.pk}/")
    for kind, title in (("Creative", "Banner set"), ("Targeting", "Audience plan")):
        upload = am_page.get_by_role("form", name="Upload a proof")
        upload.get_by_label("Kind").select_option(label=kind)
        upload.get_by_label("Title").fill(title)
        upload.get_by_label("File").set_input_files(
            files=[{"name": f"{title}.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"}]
        )
        upload.get_by_role("button", name="Upload").click()
        expect(am_page.get_by_role("status")).to_contain_text(f"{kind}: {title} is up")


def client_approves(portal_page: Page, url: str) -> None:
    portal_page.goto(url)
    for proof in ("Creative: Banner set", "Targeting: Audience plan"):
        card = portal_page.get_by_role("article", name=proof)
        card.get_by_label("Your name").fill("Dana Diaz")
        card.get_by_role("button", name="Approve").click()
        expect(portal_page.get_by_role("status")).to_contain_text(f"{proof} is approved")


def plan_go_live(am_page: Page) -> datetime:
    planned = (timezone.localtime() + timedelta(days=14)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    go_live = am_page.get_by_role("region", name="Go-live")
    go_live.get_by_label("Planned go-live").fill(planned.strftime("%Y-%m-%dT%H:%M"))
    go_live.get_by_role("button", name="Plan go-live").click()
    expect(am_page.get_by_role("status")).to_contain_text("Go-live planned")
    return planned


def test_a_program_is_sold_onboarded_through_the_portal_and_goes_live(
    page: Page, new_page: Callable[[], Page], live_server, harbor: Client, settings: Settings
) -> None:
    settings.SITE_URL = live_server.url  # the portal links point at this server
    program = create_and_sell(page, live_server.url)
    assert program.status == ProgramStatus.SOLD and program.details == {
        "billing_contact": "bills@harbor.example",
        "landing_page": "https://harbor.example/spring",
        "display_geography": "Boston, 25 miles",
    }

    complete(program, "production_meeting", "sales_rep")
    introduction = Message.objects.get(
        subject=f"Welcome to {settings.AGENCY_NAME}: Spring campaign"
    )
    listed = [line[2:] for line in introduction.body_text.splitlines() if line.startswith("- ")]
    assert listed == [
        "Tracking access (Every program)",
        "Keywords (SEM)",
        "Search geography (SEM)",
        "Audience targeting (Targeted display)",
        "Creative specifications (Targeted display)",
    ]

    portal_url = portal.url_for(program.portal_links.get())
    assert portal_url in introduction.body_text
    portal_page = new_page()  # the client: no staff session
    client_sends_the_rest(portal_page, portal_url)
    assert step(program, "collect_details").state == TaskState.DONE

    complete(program, "design_meeting", "account_manager")
    am_page = new_page()
    upload_proofs(am_page, live_server.url, program)
    assert step(program, "client_approval").state == TaskState.OPEN
    client_approves(portal_page, portal_url)
    assert step(program, "client_approval").state == TaskState.DONE

    am_page.reload()
    planned = plan_go_live(am_page)
    program.refresh_from_db()
    assert program.go_live_at == planned
    assert step(program, "onboarding_meeting").meeting.starts_at == planned + timedelta(days=7)

    complete(program, "set_live", "account_manager")
    complete(program, "qa_check", "account_manager")
    program.refresh_from_db()
    assert program.status == ProgramStatus.LIVE and program.went_live_at is not None
    launch = Message.objects.get(subject="Spring campaign is live")
    assert {r.address for r in launch.recipients.all()} >= {
        "dana@harbor.example",
        "evan@harbor.example",
    }
    went_live = program.went_live_at
    week, month = step(program, "onboarding_meeting"), step(program, "optimization_meeting")
    assert week.meeting.starts_at == went_live + timedelta(days=7)
    assert month.meeting.starts_at == went_live + timedelta(days=30)
