"""The client portal: one program through a signed link, no staff account. The client
sees where the program stands, sends the missing details and answers on the proofs;
a link that does not work, or a file of another program, is simply not found."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from pytest_django import Settings

from retainops.core.models import User
from retainops.onboarding import portal, services
from retainops.onboarding.choices import ProofDecision
from retainops.onboarding.models import PortalLink, Program, ProofVersion
from retainops.onboarding.requirements import missing_details
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import TaskState
from retainops.playbooks.library import LIBRARY
from retainops.playbooks.models import PlaybookVersion, Run, Task

from .conftest import START

NewProgram = Callable[..., Program]
HALF = {
    "billing_contact": "bills@harbor.example",
    "landing_page": "https://harbor.example/spring",
    "display_geography": "Boston, 25 miles",
}
THE_REST = {
    "tracking_access": "GA4 access granted to ads@agency.example",
    "sem_keywords": "dentist, implants",
    "sem_geography": "Massachusetts",
    "display_targeting": "Families within 25 miles",
    "display_creative": "300x250 and 728x90; logo attached",
}
APPROVAL = "Client approves creative and targeting"


def home_of(link: PortalLink) -> str:
    return reverse("portal:home", args=[portal.token_for(link)])


def decide_url(link: PortalLink, version: ProofVersion) -> str:
    return reverse("portal:decide", args=[portal.token_for(link), version.pk])


def file_url(link: PortalLink, version: ProofVersion) -> str:
    return reverse("portal:proof_file", args=[portal.token_for(link), version.pk])


def section(html: str, label: str) -> str:
    found = re.search(
        rf'<section[^>]*aria-label="{re.escape(label)}"[^>]*>(.*?)</section>', html, re.S
    )
    assert found, f"no section {label!r} on the page"
    return found.group(1)


def step(program: Program, key: str) -> Task:
    run = Run.objects.get(subject_type="program", subject_id=program.pk)
    return Task.objects.get(run=run, step_key=key)


def upload(program: Program, by: User, kind: str, title: str) -> ProofVersion:
    return services.upload_proof(
        by=by,
        program=program,
        kind=kind,
        title=title,
        upload=services.ProofUpload(f"{title}.pdf", "application/pdf", b"%PDF " + title.encode()),
    )


def answer(version: ProofVersion, decision: str, comment: str = "") -> dict[str, str]:
    prefix = f"v{version.pk}"
    return {
        f"{prefix}-decision": decision,
        f"{prefix}-comment": comment,
        f"{prefix}-your_name": "Dana Diaz",
    }


@pytest.fixture
def sell(
    new_program: NewProgram, onboarding: PlaybookVersion, sales_rep: User
) -> Callable[..., Program]:
    """Sell a program with half its order; marking it sold issues its portal link."""

    def make(details: dict[str, str] | None = None, **fields: object) -> Program:
        program = new_program(HALF if details is None else details, **fields)
        return services.mark_program_sold(by=sales_rep, program=program)

    return make


def test_the_portal_shows_its_program_only(
    client: HttpClient, sell: Callable[..., Program], csm: User
):
    spring = sell()
    sell(name="Autumn campaign")

    page = client.get(home_of(spring.portal_links.get())).content.decode()

    assert "Spring campaign" in page and "Harbor Dental" in page
    assert "Autumn campaign" not in page
    where = section(page, "Where we are")
    assert "In production: your team reviews your order" in where  # the client's words
    assert "Internal production meeting" not in page  # the team's title for it
    assert "Reporting and onboarding meeting" not in where  # a side step, under Meetings
    assert "Designing your campaign" in section(page, "What comes next")
    assert "Design meeting on the campaign" not in page
    assert f"{csm} (client success manager)" in page
    asked = section(page, "Details we need")
    assert "Keywords" in asked and "Where the ads may show." in asked
    assert "Billing contact e-mail" not in asked  # already in the order
    assert "Sign out" not in page and "My work" not in page  # no staff navigation


def test_the_portal_lists_the_meetings_to_come_with_the_client_only(
    client: HttpClient,
    sell: Callable[..., Program],
    csm: User,
    clock: time_machine.Traveller,
):
    program = sell()
    services.plan_go_live(by=csm, program=program, at=START + timedelta(days=14))

    meetings = section(client.get(home_of(program.portal_links.get())).content.decode(), "Meetings")

    onboarding_at = (START + timedelta(days=21)).strftime("%A %-d %B %Y, %H:%M")
    assert f"{onboarding_at}</time>: Reporting and onboarding meeting" in meetings
    assert "30-day optimization meeting" in meetings
    assert "Internal production meeting" not in meetings  # the agency's own


def break_link(link: PortalLink, clock: time_machine.Traveller, settings: Settings) -> str:
    return portal.token_for(link)[:-3] + "abc"


def revoke(link: PortalLink, clock: time_machine.Traveller, settings: Settings) -> str:
    services.revoke_portal_link(by=link.created_by, link=link)
    return portal.token_for(link)


def expire(link: PortalLink, clock: time_machine.Traveller, settings: Settings) -> str:
    clock.move_to(START + timedelta(days=settings.PORTAL_LINK_DAYS, seconds=1))
    return portal.token_for(link)


@pytest.mark.parametrize("spoil", [break_link, revoke, expire], ids=["wrong", "revoked", "expired"])
def test_a_link_that_does_not_work_is_not_found_and_names_no_client(
    clock: time_machine.Traveller,
    client: HttpClient,
    sell: Callable[..., Program],
    account_manager: User,
    settings: Settings,
    spoil: Callable[..., str],
):
    program = sell()
    banners = upload(program, account_manager, "creative", "Banner set")
    token = spoil(program.portal_links.get(), clock, settings)

    pages = [
        client.get(reverse("portal:home", args=[token])),
        client.post(reverse("portal:details", args=[token]), {**THE_REST, "your_name": "D"}),
        client.post(
            reverse("portal:decide", args=[token, banners.pk]), answer(banners, "approved")
        ),
        client.get(reverse("portal:proof_file", args=[token, banners.pk])),
    ]

    for response in pages:
        assert response.status_code == 404
        page = response.content.decode()
        assert "This link does not work" in page
        assert "Harbor Dental" not in page and "Spring campaign" not in page
        assert "Banner set" not in page and "%PDF" not in page
    program.refresh_from_db()
    assert program.details == HALF
    banners.refresh_from_db()
    assert banners.decision == ProofDecision.PENDING


def test_the_client_sends_the_missing_details_and_the_collect_step_completes(
    client: HttpClient, sell: Callable[..., Program], sales_rep: User
):
    program = sell()
    playbooks.complete_task(by=sales_rep, task=step(program, "production_meeting"))
    link = program.portal_links.get()

    response = client.post(
        reverse("portal:details", args=[portal.token_for(link)]),
        {**THE_REST, "your_name": "Dana Diaz"},
        follow=True,
    )

    program.refresh_from_db()
    assert program.details == {**HALF, **THE_REST}
    assert missing_details(program) == []
    assert step(program, "collect_details").state == TaskState.DONE
    page = response.content.decode()
    assert "Thank you: your team has the details." in page
    assert "We have every detail we need." in page


def test_the_client_writes_creative_specifications_over_several_lines(
    client: HttpClient, sell: Callable[..., Program]
):
    program = sell()
    home = home_of(program.portal_links.get())
    asked = section(client.get(home).content.decode(), "Details we need")
    assert re.search(r'<textarea name="display_creative"', asked)
    assert re.search(r'<textarea name="display_targeting"', asked)
    assert re.search(r'<input type="text" name="sem_geography"', asked)  # one line

    response = client.post(
        reverse("portal:details", args=[portal.token_for(program.portal_links.get())]),
        {
            **THE_REST,
            "display_creative": "300x250 and 728x90\r\nLogo attached\r\nBlue and white",
            "your_name": "Dana Diaz",
        },
    )

    assert response.status_code == 302
    program.refresh_from_db()
    lines = program.details["display_creative"].split("\n")
    assert lines == ["300x250 and 728x90", "Logo attached", "Blue and white"]
    assert missing_details(program) == []


def test_a_one_line_detail_from_the_portal_refuses_several_lines(
    client: HttpClient, sell: Callable[..., Program]
):
    program = sell()

    response = client.post(
        reverse("portal:details", args=[portal.token_for(program.portal_links.get())]),
        {**THE_REST, "sem_geography": "Massachusetts\r\nRhode Island", "your_name": "Dana"},
    )

    assert response.status_code == 400
    assert response.context["details_form"].errors == {"sem_geography": ["One line only."]}
    program.refresh_from_db()
    assert program.details == HALF


def test_a_bad_detail_from_the_portal_is_named_and_nothing_is_saved(
    client: HttpClient, sell: Callable[..., Program]
):
    program = sell({"landing_page": "https://harbor.example/spring"})
    link = program.portal_links.get()

    response = client.post(
        reverse("portal:details", args=[portal.token_for(link)]),
        {"billing_contact": "not an address", "sem_keywords": "dentist", "your_name": "Dana"},
    )

    assert response.status_code == 400
    assert response.context["details_form"].errors == {
        "billing_contact": ["Enter a valid email address."]
    }
    assert "Enter a valid email address." in section(response.content.decode(), "Details we need")
    program.refresh_from_db()
    assert program.details == {"landing_page": "https://harbor.example/spring"}


def test_the_client_says_who_sends_the_details(client: HttpClient, sell: Callable[..., Program]):
    program = sell()
    link = program.portal_links.get()

    response = client.post(reverse("portal:details", args=[portal.token_for(link)]), THE_REST)

    assert response.status_code == 400
    assert response.context["details_form"].errors == {"your_name": ["This field is required."]}
    program.refresh_from_db()
    assert program.details == HALF


def _through_design(program: Program, sales_rep: User, account_manager: User) -> None:
    playbooks.complete_task(by=sales_rep, task=step(program, "production_meeting"))
    services.supply_details(link=program.portal_links.get(), details=THE_REST, contact="Dana")
    playbooks.complete_task(by=account_manager, task=step(program, "design_meeting"))


def test_approving_the_last_proof_completes_the_client_approval_step(
    client: HttpClient, sell: Callable[..., Program], sales_rep: User, account_manager: User
):
    program = sell()
    _through_design(program, sales_rep, account_manager)
    link = program.portal_links.get()
    banners = upload(program, account_manager, "creative", "Banner set")
    audience = upload(program, account_manager, "targeting", "Audience plan")
    approval = step(program, "client_approval")
    assert (approval.title, approval.state) == (APPROVAL, TaskState.OPEN)

    client.post(decide_url(link, banners), answer(banners, "approved"))
    assert step(program, "client_approval").state == TaskState.OPEN
    response = client.post(decide_url(link, audience), answer(audience, "approved"), follow=True)

    assert step(program, "client_approval").state == TaskState.DONE
    assert step(program, "set_live").state == TaskState.OPEN
    assert "Thank you: Targeting: Audience plan is approved." in response.content.decode()
    banners.refresh_from_db()
    assert (banners.decision, banners.decided_by) == (ProofDecision.APPROVED, "Dana Diaz")


def test_sending_a_proof_back_needs_a_comment(
    client: HttpClient, sell: Callable[..., Program], account_manager: User
):
    program = sell()
    link = program.portal_links.get()
    banners = upload(program, account_manager, "creative", "Banner set")

    silent = client.post(decide_url(link, banners), answer(banners, "changes"))
    said = client.post(decide_url(link, banners), answer(banners, "changes", "Bigger logo"))

    assert silent.status_code == 400
    assert "Tell us what to change." in section(silent.content.decode(), "Proofs to approve")
    assert said.status_code == 302
    banners.refresh_from_db()
    assert (banners.decision, banners.comment) == (ProofDecision.CHANGES, "Bigger logo")


def test_earlier_versions_are_listed_with_the_clients_answers(
    client: HttpClient, sell: Callable[..., Program], account_manager: User
):
    program = sell()
    link = program.portal_links.get()
    first = upload(program, account_manager, "creative", "Banner set")
    services.decide_proof(
        link=link, version=first, decision="changes", comment="Bigger logo", contact="Dana"
    )
    second = upload(program, account_manager, "creative", "Banner set")

    proofs = section(client.get(home_of(link)).content.decode(), "Proofs to approve")

    latest, earlier = proofs.split("Earlier versions")
    assert "Version 2" in latest and file_url(link, second) in latest
    assert 'value="approved"' in latest  # the latest waits for an answer
    assert "Version 1" in earlier and "Sent back with comments" in earlier
    assert "Bigger logo" in earlier


def test_answering_an_older_version_says_a_newer_one_waits(
    client: HttpClient, sell: Callable[..., Program], account_manager: User
):
    program = sell()
    link = program.portal_links.get()
    first = upload(program, account_manager, "creative", "Banner set")
    upload(program, account_manager, "creative", "Banner set")

    response = client.post(decide_url(link, first), answer(first, "approved"))

    assert response.status_code == 400
    assert "A newer version is waiting for you; decide on that one." in response.content.decode()
    first.refresh_from_db()
    assert first.decision == ProofDecision.PENDING


def test_a_proof_file_downloads_and_one_of_another_program_is_not_found(
    client: HttpClient, sell: Callable[..., Program], account_manager: User
):
    spring = sell()
    autumn = sell(name="Autumn campaign")
    link = spring.portal_links.get()
    own = upload(spring, account_manager, "creative", "Banner set")
    other = upload(autumn, account_manager, "creative", "Autumn banners")

    download = client.get(file_url(link, own))
    stranger = client.get(file_url(link, other))
    meddling = client.post(decide_url(link, other), answer(other, "approved"))

    assert download.content == b"%PDF Banner set"
    assert download["Content-Disposition"] == 'attachment; filename="Banner set.pdf"'
    for response in (stranger, meddling):
        assert response.status_code == 404
        assert "Autumn" not in response.content.decode()
    other.refresh_from_db()
    assert other.decision == ProofDecision.PENDING


def test_the_portal_forms_are_protected_against_forged_requests(sell: Callable[..., Program]):
    program = sell()
    link = program.portal_links.get()
    browser = HttpClient(enforce_csrf_checks=True)

    page = browser.get(home_of(link)).content.decode()
    forged = browser.post(
        reverse("portal:details", args=[portal.token_for(link)]),
        {**THE_REST, "your_name": "Mallory"},
    )

    assert 'name="csrfmiddlewaretoken"' in page
    assert forged.status_code == 403
    program.refresh_from_db()
    assert program.details == HALF


PRODUCTION_CLIENT_TITLE = '    client_title: "In production: your team reviews your order"\n'


def test_a_step_without_a_client_title_is_never_named_on_the_portal(
    client: HttpClient, sell: Callable[..., Program], ops_lead: User
):
    # The agency's own version of the playbook: the production meeting has no client title.
    source = (LIBRARY / "onboarding.yaml").read_text()
    assert PRODUCTION_CLIENT_TITLE in source
    playbooks.publish_playbook(by=ops_lead, source=source.replace(PRODUCTION_CLIENT_TITLE, ""))
    program = sell()

    page = client.get(home_of(program.portal_links.get())).content.decode()

    assert step(program, "production_meeting").state == TaskState.OPEN
    assert "We are preparing your program." in section(page, "Where we are")
    assert "production" not in page.lower()
    assert "Designing your campaign" in section(page, "What comes next")


def test_the_portal_carries_the_agency_name_and_logo_from_the_settings(
    client: HttpClient, sell: Callable[..., Program], settings: Settings
):
    settings.AGENCY_NAME = "Northwind Media"
    settings.AGENCY_LOGO_URL = "/static/retainops/favicon.svg"
    program = sell()

    page = client.get(home_of(program.portal_links.get())).content.decode()

    header = re.search(r'<header class="topbar">(.*?)</header>', page, re.S)
    assert header, "no header on the portal page"
    assert "Northwind Media" in header.group(1)
    assert 'src="/static/retainops/favicon.svg"' in header.group(1)
    assert "<title>Spring campaign · Northwind Media</title>" in page
    assert "Your agency" not in page


def test_the_client_e_mails_are_signed_with_the_agency_name(
    sell: Callable[..., Program], sales_rep: User, settings: Settings
):
    settings.AGENCY_NAME = "Northwind Media"
    program = sell()
    playbooks.complete_task(by=sales_rep, task=step(program, "production_meeting"))

    introduction = program.client.messages.get(cause="playbook onboarding: introduction")

    assert "Northwind Media" in introduction.subject
    assert introduction.body_text.rstrip().endswith("Northwind Media")
