"""Onboarding in a real browser, staff and client. Sol, the sales rep, creates and sells
a program with half its order and holds the production meeting; the introduction e-mail
asks the client for the rest, which Dana sends through the portal; Amy, the account
manager, holds the design meeting and uploads the proofs Dana approves; Amy plans
go-live, then moves it a week, and the meetings after go-live follow with updated
invitations; on the day Amy sets the campaign live, checks it the next day, and the
launch e-mail goes to the client's contacts, its success manager and its sales rep.

Every step a person takes is taken in the pages, signed in as that person. Messages are
read from a real SMTP server after the worker's tick, which runs in this process (it
shares the live server's database). The clock stands at START and is moved, never
waited for; the flight and go-live dates are reckoned from it."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import FilePayload, Page, expect
from pytest_django import Settings

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.messaging.models import Message
from retainops.messaging.testing import ReceivedMail, SmtpPeer
from retainops.messaging.tests.conftest import START, clock, smtp, smtp_server  # noqa: F401
from retainops.onboarding import portal
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Run, Task
from tests.e2e.conftest import sign_in, tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ONBOARDING = Path(playbooks.__file__).resolve().parent / "library" / "onboarding.yaml"
PASSWORD = "pass-word-1"
# The flight starts two weeks after the sale (START) and runs six months; go-live is
# planned for its first morning, then moved a week later.
FLIGHT_START = (START + timedelta(days=14)).date()
FLIGHT_END = FLIGHT_START + timedelta(days=182)
PLANNED = START.replace(hour=10) + timedelta(days=14)
MOVED = PLANNED + timedelta(days=7)
# The meetings booked from go-live, and how long after it each one is.
AFTER_GO_LIVE = {
    "Reporting and onboarding meeting": timedelta(days=7),
    "30-day optimization meeting on ROI": timedelta(days=30),
}
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


def step(program: Program, key: str) -> Task:
    run = Run.objects.get(subject_type="program", subject_id=program.pk)
    return Task.objects.select_related("meeting").get(run=run, step_key=key)


def closed_by(program: Program, key: str) -> str:
    task = step(program, key)
    assert task.state == TaskState.DONE and task.closed_by is not None, key
    return task.closed_by.username


def mails(peer: SmtpPeer, subject: str) -> list[ReceivedMail]:
    """The e-mails received with this subject (a long subject arrives folded onto its
    own line, so it is compared without that leading space)."""
    return [m for m in peer.received if m.subject.strip() == subject]


def invitations(peer: SmtpPeer, title: str) -> list[tuple[str, int, datetime]]:
    """(UID, SEQUENCE, start) of each calendar invitation received for the meeting."""
    found = []
    for mail in peer.received:
        for filename, _kind, payload in mail.attachments():
            if filename != "invite.ics":
                continue
            [event] = Calendar.from_ical(payload).walk("VEVENT")
            if str(event["SUMMARY"]) == f"{title}: Harbor Dental":
                found.append(
                    (str(event["UID"]), int(event.decoded("SEQUENCE")), event.decoded("DTSTART"))
                )
    return found


def shown(when: datetime) -> str:
    return timezone.localtime(when).strftime("%a %Y-%m-%d %H:%M")


def create_and_sell(page: Page, base_url: str) -> Program:
    """The sales rep creates the program with half its order, then marks it sold."""
    sign_in(page, base_url, TEAM["sales_rep"], PASSWORD)
    page.goto(f"{base_url}/clients/")  # signing in lands on the home page
    page.get_by_role("link", name="Harbor Dental").click()
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Program name").fill("Spring campaign")
    page.get_by_label("Flight start").fill(FLIGHT_START.isoformat())
    page.get_by_label("Flight end").fill(FLIGHT_END.isoformat())
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


def done_from_my_work(page: Page, title: str, note: str) -> None:
    """The step's owner finds it in My work, says what was done, and completes it."""
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^My work")
    ).click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()
    page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Complete", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Done: {title} (Harbor Dental).")


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
    am_page.goto(f"{base_url}/onboarding/programs/{program.pk}/")
    for kind, title in (("Creative", "Banner set"), ("Targeting", "Audience plan")):
        upload = am_page.get_by_role("form", name="Upload a proof")
        upload.get_by_label("Kind").select_option(label=kind)
        upload.get_by_label("Title").fill(title)
        upload.get_by_label("File").set_input_files(
            files=[FilePayload(name=f"{title}.pdf", mimeType="application/pdf", buffer=b"%PDF")]
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


def set_go_live(am_page: Page, at: datetime, button: str) -> None:
    """Plan go-live, or move it, in the program page's Go-live box."""
    go_live = am_page.get_by_role("region", name="Go-live")
    go_live.get_by_label("Planned go-live").fill(timezone.localtime(at).strftime("%Y-%m-%dT%H:%M"))
    go_live.get_by_role("button", name=button).click()
    expect(am_page.get_by_role("status")).to_contain_text("Go-live planned")
    expect(am_page.locator("#planned-go-live")).to_have_text(shown(at))


def meetings_shown_after(am_page: Page, go_live: datetime) -> None:
    """The program page's Meetings list shows each meeting at its time after go-live."""
    meetings = am_page.get_by_role("region", name="Meetings")
    for title, after in AFTER_GO_LIVE.items():
        row = meetings.get_by_role("row").filter(has_text=title)
        expect(row.locator("time")).to_have_text(shown(go_live + after))


def test_a_program_is_sold_onboarded_through_the_portal_and_goes_live(
    clock: time_machine.Traveller,  # noqa: F811
    page: Page,
    new_page: Callable[[], Page],
    live_server,
    harbor: Client,
    smtp: SmtpPeer,  # noqa: F811
    settings: Settings,
) -> None:
    base_url = live_server.url
    settings.SITE_URL = base_url  # the portal links point at this server
    program = create_and_sell(page, base_url)
    assert program.status == ProgramStatus.SOLD and program.details == {
        "billing_contact": "bills@harbor.example",
        "landing_page": "https://harbor.example/spring",
        "display_geography": "Boston, 25 miles",
    }

    # Sol holds the production meeting; the introduction asks the client for the rest.
    done_from_my_work(page, "Internal production meeting on the order", "Order reviewed.")
    tick()
    [introduction] = mails(smtp, f"Welcome to {settings.AGENCY_NAME}: Spring campaign")
    assert sorted(introduction.envelope_to) == ["dana@harbor.example", "evan@harbor.example"]
    text = introduction.part("text/plain")
    assert [line[2:] for line in text.splitlines() if line.startswith("- ")] == [
        "Tracking access (Every program)",
        "Keywords (SEM)",
        "Search geography (SEM)",
        "Audience targeting (Targeted display)",
        "Creative specifications (Targeted display)",
    ]
    portal_url = portal.url_for(program.portal_links.get())
    assert portal_url in text

    portal_page = new_page()  # Dana, the client: no staff session
    client_sends_the_rest(portal_page, portal_url)
    assert step(program, "collect_details").state == TaskState.DONE

    # Amy holds the design meeting and puts up the proofs, which Dana approves.
    am_page = new_page()
    sign_in(am_page, base_url, TEAM["account_manager"], PASSWORD)
    done_from_my_work(am_page, "Design meeting on the campaign's vision", "Vision agreed.")
    upload_proofs(am_page, base_url, program)
    assert step(program, "client_approval").state == TaskState.OPEN
    client_approves(portal_page, portal_url)
    assert step(program, "client_approval").state == TaskState.DONE

    # Amy plans go-live; the meetings after it are booked and their invitations go out.
    am_page.reload()
    set_go_live(am_page, PLANNED, "Plan go-live")
    meetings_shown_after(am_page, PLANNED)
    tick()
    first = {title: invitations(smtp, title) for title in AFTER_GO_LIVE}
    for title, after in AFTER_GO_LIVE.items():
        [(_uid, sequence, starts)] = first[title]
        assert (sequence, starts) == (0, PLANNED + after)

    # The client asks for a week more: Amy moves go-live, and every meeting follows it.
    set_go_live(am_page, MOVED, "Move go-live")
    meetings_shown_after(am_page, MOVED)
    tick()
    for title, after in AFTER_GO_LIVE.items():
        [(uid, _sequence, _starts)] = first[title]
        assert invitations(smtp, title) == [(uid, 0, PLANNED + after), (uid, 1, MOVED + after)]
        assert len(mails(smtp, f"Moved: {title}: Harbor Dental")) == 1

    # On the day, Amy builds the campaign and sets it live; the next day she checks it.
    clock.move_to(MOVED)
    am_page = new_page()  # three weeks on, her session has expired: she signs in again
    sign_in(am_page, base_url, TEAM["account_manager"], PASSWORD)
    done_from_my_work(am_page, "Build the campaign and set it live", "Both campaigns running.")
    program.refresh_from_db()
    assert program.status == ProgramStatus.LIVE and program.went_live_at == MOVED

    clock.move_to(MOVED + timedelta(days=1))
    done_from_my_work(am_page, "QA check once data flows", "Impressions and clicks flowing.")
    tick()
    [launch] = mails(smtp, "Spring campaign is live")
    assert sorted(launch.envelope_to) == [
        "cleo_csm@agency.example",
        "dana@harbor.example",
        "evan@harbor.example",
        "sol_sales@agency.example",
    ]
    assert {
        r.address for r in Message.objects.get(subject="Spring campaign is live").recipients.all()
    } == set(launch.envelope_to)

    am_page.goto(f"{base_url}/onboarding/programs/{program.pk}/")
    expect(am_page.locator("#program-status")).to_have_text("Live")
    meetings_shown_after(am_page, MOVED)
    week, month = (
        step(program, "onboarding_meeting").meeting,
        step(program, "optimization_meeting").meeting,
    )
    assert week is not None and week.starts_at == MOVED + timedelta(days=7)
    assert month is not None and month.starts_at == MOVED + timedelta(days=30)
    assert {
        key: closed_by(program, key)
        for key in ("production_meeting", "design_meeting", "set_live", "qa_check")
    } == {
        "production_meeting": TEAM["sales_rep"],
        "design_meeting": TEAM["account_manager"],
        "set_live": TEAM["account_manager"],
        "qa_check": TEAM["account_manager"],
    }
