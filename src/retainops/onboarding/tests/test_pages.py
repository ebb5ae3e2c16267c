"""The onboarding pages: creating and selling a program, its purchase order, go-live,
proofs and portal links, the board, and the requirements administrators configure.
Each refusal has its test."""

import html
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import time_machine
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import dateformat, timezone
from pytest_django import Settings

from retainops.clients.models import Client, ServiceLine
from retainops.core.models import User
from retainops.messaging.models import Message
from retainops.messaging.services import Outgoing, queue_message, write_to_client
from retainops.onboarding import portal, services
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import DetailRequirement, Program, ProofVersion
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import PlaybookVersion, Run, Task

from .conftest import START

NewProgram = Callable[..., Program]
HALF = {
    "billing_contact": "bills@harbor.example",
    "landing_page": "https://harbor.example/spring",
    "display_geography": "Boston, 25 miles",
}
PRODUCTION_MEETING = "Internal production meeting on the order"


def page_of(program: Program) -> str:
    return reverse("onboarding:program", args=[program.pk])


def action(name: str, program: Program) -> str:
    return reverse(f"onboarding:{name}", args=[program.pk])


def section(html: str, label: str) -> str:
    """The HTML of the page's <section> with this aria-label."""
    found = re.search(
        rf'<section[^>]*aria-label="{re.escape(label)}"[^>]*>(.*?)</section>', html, re.S
    )
    assert found, f"no section {label!r} on the page"
    return found.group(1)


def shown(at: datetime) -> str:
    """A date and time as the program page writes it."""
    return dateformat.format(timezone.localtime(at), "D Y-m-d H:i")


def sold(new_program: NewProgram, by: User, **fields: object) -> Program:
    return services.mark_program_sold(by=by, program=new_program(HALF, **fields))


def step(program: Program, key: str) -> Task:
    run = Run.objects.get(subject_type="program", subject_id=program.pk)
    return Task.objects.select_related("meeting").get(run=run, step_key=key)


# Creating a program ---------------------------------------------------------------------


def test_a_sales_rep_creates_a_program_with_a_budget_per_service_sold(
    client: HttpClient, sales_rep: User, harbor: Client
):
    client.force_login(sales_rep)
    url = reverse("onboarding:program_create", args=[harbor.pk])
    assert "SEM: monthly budget" in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "name": "Spring campaign",
            "start_date": "2026-12-01",
            "end_date": "2027-05-31",
            "go_live_at": "2026-12-08T10:00",
            "budget_targeted-display": "2500",
            "budget_sem": "1500.50",
            "budget_seo": "",
        },
    )

    program = Program.objects.get(client=harbor)
    assert response.status_code == 302
    assert response["Location"].startswith(page_of(program))
    assert program.status == ProgramStatus.DRAFT
    assert program.go_live_at == timezone.make_aware(datetime(2026, 12, 8, 10, 0))
    budgets = {line.service.code: line.monthly_budget for line in program.lines.all()}
    assert budgets == {"targeted-display": Decimal("2500.00"), "sem": Decimal("1500.50")}


def test_a_program_with_no_service_or_a_backwards_flight_is_refused(
    client: HttpClient, sales_rep: User, harbor: Client
):
    client.force_login(sales_rep)
    url = reverse("onboarding:program_create", args=[harbor.pk])
    base = {"name": "Spring campaign", "start_date": "2026-12-01", "end_date": "2027-05-31"}

    no_service = client.post(url, base)
    backwards = client.post(url, {**base, "end_date": "2026-11-01", "budget_sem": "100"})

    assert no_service.status_code == 400
    assert "A program has at least one service." in no_service.content.decode()
    assert backwards.status_code == 400
    assert backwards.context["form"].errors["end_date"] == ["The flight ends before it starts."]
    assert not Program.objects.exists()


def test_a_service_agent_may_not_create_a_program(
    client: HttpClient, service_agent: User, harbor: Client
):
    client.force_login(service_agent)
    url = reverse("onboarding:program_create", args=[harbor.pk])

    assert client.get(url).status_code == 403
    response = client.post(
        url, {"name": "X", "start_date": "2026-12-01", "end_date": "2027-01-31", "budget_sem": "1"}
    )

    assert response.status_code == 403
    assert not Program.objects.exists()


def test_the_client_page_lists_its_programs_and_offers_a_new_one(
    client: HttpClient, sales_rep: User, service_agent: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(sales_rep)

    page = client.get(reverse("clients:detail", args=[program.client_id])).content.decode()

    programs = section(page, "Programs")
    assert page_of(program) in programs
    assert "Draft (not sold yet)" in programs
    assert reverse("onboarding:program_create", args=[program.client_id]) in programs
    client.force_login(service_agent)
    page = client.get(reverse("clients:detail", args=[program.client_id])).content.decode()
    assert "New program" not in section(page, "Programs")


def test_changing_the_services_changes_what_the_order_asks_for(
    client: HttpClient, sales_rep: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(sales_rep)

    response = client.post(action("program_edit", program), {"budget_sem": "900"})

    assert response.status_code == 302
    assert [line.service.code for line in program.lines.all()] == ["sem"]
    order = section(client.get(page_of(program)).content.decode(), "Purchase order")
    assert "Keywords" in order
    assert "Audience targeting" not in order


# The purchase order ---------------------------------------------------------------------


def test_the_program_page_shows_the_missing_details_per_service(
    client: HttpClient, account_manager: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(account_manager)

    order = section(client.get(page_of(program)).content.decode(), "Purchase order")

    assert "5 details missing" in order
    listed = re.findall(r"<li><strong>(.*?)</strong>: (.*?)</li>", order)
    assert listed == [
        ("Every program", "Tracking access"),
        ("SEM", "Keywords, Search geography"),
        ("Targeted display", "Audience targeting, Creative specifications"),
    ]
    legends = re.findall(r"<legend>(.*?)</legend>", order)
    assert legends == ["Every program", "SEM", "Targeted display"]


def test_saving_the_order_with_a_bad_email_names_the_field_and_saves_nothing(
    client: HttpClient, account_manager: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(account_manager)

    response = client.post(
        action("program_order", program),
        {**HALF, "billing_contact": "not an address", "sem_keywords": "dentist"},
    )

    assert response.status_code == 400
    errors = response.context["order_form"].errors
    assert errors == {"billing_contact": ["Enter a valid email address."]}
    assert "Enter a valid email address." in response.content.decode()
    program.refresh_from_db()
    assert program.details == HALF


def test_saving_the_order_keeps_good_values_and_an_emptied_field_clears_its_detail(
    client: HttpClient, account_manager: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(account_manager)

    response = client.post(
        action("program_order", program),
        {**HALF, "landing_page": "", "sem_keywords": "dentist, implants"},
        follow=True,
    )

    program.refresh_from_db()
    assert program.details == {
        "billing_contact": "bills@harbor.example",
        "display_geography": "Boston, 25 miles",
        "sem_keywords": "dentist, implants",
    }
    assert "Order saved. 5 details still missing." in response.content.decode()


def test_creative_specifications_are_written_and_shown_over_several_lines(
    client: HttpClient, account_manager: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(account_manager)

    client.post(
        action("program_order", program),
        {**HALF, "display_creative": "300x250 and 728x90\r\nLogo attached"},
    )

    program.refresh_from_db()
    assert program.details["display_creative"] == "300x250 and 728x90\nLogo attached"
    order = section(client.get(page_of(program)).content.decode(), "Purchase order")
    shown = re.search(r'<textarea name="display_creative"[^>]*>(.*?)</textarea>', order, re.S)
    assert shown and shown.group(1).strip() == "300x250 and 728x90\nLogo attached"
    assert re.search(r'<input type="text" name="display_geography"', order)


def test_a_service_agent_may_not_change_the_order(
    client: HttpClient, service_agent: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(service_agent)

    page = client.get(page_of(program)).content.decode()
    response = client.post(action("program_order", program), {"sem_keywords": "dentist"})

    assert "Save the order" not in page
    assert response.status_code == 403
    program.refresh_from_db()
    assert program.details == HALF


# Selling and go-live --------------------------------------------------------------------


def test_marking_sold_starts_onboarding_and_the_page_shows_its_steps(
    client: HttpClient, sales_rep: User, new_program: NewProgram, onboarding: PlaybookVersion
):
    program = new_program(HALF)
    client.force_login(sales_rep)
    assert "Mark sold" in client.get(page_of(program)).content.decode()

    response = client.post(action("program_sold", program), follow=True)

    program.refresh_from_db()
    assert program.status == ProgramStatus.SOLD
    page = response.content.decode()
    assert "Spring campaign is sold: onboarding has started." in page
    assert "Mark sold" not in page
    steps = section(page, "Onboarding")
    run = Run.objects.get(subject_type="program", subject_id=program.pk)
    assert reverse("playbooks:run", args=[run.pk]) in steps
    rows = re.findall(
        r'<td><a href="[^"]*">([^<]*)</a></td>\s*<td><span class="badge[^"]*">([^<]*)</span>', steps
    )
    assert rows[0] == (PRODUCTION_MEETING, "Open")
    assert ("Design meeting on the campaign&#x27;s vision", "Waiting for earlier steps") in rows
    assert program.portal_links.count() == 1


def test_selling_is_refused_to_a_success_manager(
    client: HttpClient, csm: User, new_program: NewProgram, onboarding: PlaybookVersion
):
    program = new_program(HALF)
    client.force_login(csm)

    assert "Mark sold" not in client.get(page_of(program)).content.decode()
    assert client.post(action("program_sold", program)).status_code == 403
    program.refresh_from_db()
    assert program.status == ProgramStatus.DRAFT


def test_planning_go_live_moves_the_meeting_dates_shown(
    client: HttpClient,
    csm: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    client.force_login(csm)
    planned = timezone.make_aware(datetime(2026, 12, 8, 10, 0))

    client.post(action("program_go_live", program), {"go_live_at": "2026-12-08T10:00"})
    first = section(client.get(page_of(program)).content.decode(), "Meetings")
    client.post(action("program_go_live", program), {"go_live_at": "2026-12-10T10:00"})
    moved = section(client.get(page_of(program)).content.decode(), "Meetings")

    assert f"{shown(planned + timedelta(days=7))}</time>" in first
    assert f"{shown(planned + timedelta(days=30))}</time>" in first
    assert f"{shown(planned + timedelta(days=9))}</time>" in moved
    assert f"{shown(planned + timedelta(days=32))}</time>" in moved
    assert f"{shown(planned + timedelta(days=7))}</time>" not in moved


def test_a_go_live_that_is_not_a_date_is_named(
    client: HttpClient, csm: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(csm)

    response = client.post(action("program_go_live", program), {"go_live_at": "next week"})

    assert response.status_code == 400
    assert "Enter a valid date/time." in section(response.content.decode(), "Go-live")
    program.refresh_from_db()
    assert program.go_live_at is None


# Proofs and portal links ----------------------------------------------------------------


def test_an_account_manager_uploads_a_proof_and_downloads_it(
    client: HttpClient,
    account_manager: User,
    south_account_manager: User,
    new_program: NewProgram,
):
    program = new_program(HALF)
    client.force_login(account_manager)
    pdf = SimpleUploadedFile("banners.pdf", b"%PDF-1.4 banners", content_type="application/pdf")

    response = client.post(
        action("proof_upload", program),
        {"kind": "creative", "title": "Banner set", "file": pdf, "note": "First cut"},
        follow=True,
    )

    version = ProofVersion.objects.get(proof__program=program)
    proofs = section(response.content.decode(), "Proofs")
    assert "Creative: Banner set" in proofs
    assert "banners.pdf" in proofs and "Waiting for the client" in proofs
    download = client.get(reverse("onboarding:proof_file", args=[version.pk]))
    assert download.content == b"%PDF-1.4 banners"
    assert download["Content-Disposition"] == 'attachment; filename="banners.pdf"'
    client.force_login(south_account_manager)
    assert client.get(reverse("onboarding:proof_file", args=[version.pk])).status_code == 404


def test_an_upload_without_a_title_is_named_and_adds_nothing(
    client: HttpClient, account_manager: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(account_manager)
    pdf = SimpleUploadedFile("banners.pdf", b"%PDF", content_type="application/pdf")

    response = client.post(
        action("proof_upload", program), {"kind": "creative", "title": "  ", "file": pdf}
    )

    assert response.status_code == 400
    assert response.context["upload_form"].errors["title"]
    assert not ProofVersion.objects.exists()


def test_a_portal_link_is_issued_shown_and_revoked(
    client: HttpClient, csm: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(csm)

    client.post(action("link_issue", program))
    link = program.portal_links.get()
    url = portal.url_for(link)
    assert url in section(client.get(page_of(program)).content.decode(), "Client portal")
    token_path = reverse("portal:home", args=[portal.token_for(link)])
    assert client.get(token_path).status_code == 200

    client.post(reverse("onboarding:link_revoke", args=[link.pk]))

    link.refresh_from_db()
    assert link.revoked_by == csm
    links = section(client.get(page_of(program)).content.decode(), "Client portal")
    assert url not in links and "revoked" in links
    assert client.get(token_path).status_code == 404


def test_the_portal_link_is_emailed_to_the_contacts(
    client: HttpClient, csm: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(csm)

    client.post(action("link_send", program))

    message = Message.objects.get(subject="Your program page: Spring campaign")
    assert sorted(r.address for r in message.recipients.all()) == [
        "dana@harbor.example",
        "evan@harbor.example",
    ]
    assert portal.url_for(program.portal_links.get()) in message.body_text


def test_the_emailed_portal_link_follows_the_address_the_page_was_asked_at(
    client: HttpClient, csm: User, new_program: NewProgram, settings: Settings
):
    """`PORT=8080 make run`: with no SITE_URL, the link points at the port served."""
    settings.SITE_URL = ""
    settings.SERVED_URL = "http://127.0.0.1:8000"  # not where this page is served
    program = new_program(HALF)
    client.force_login(csm)

    client.post(action("link_send", program), HTTP_HOST="127.0.0.1:8080")

    message = Message.objects.get(subject="Your program page: Spring campaign")
    token = portal.token_for(program.portal_links.get())
    assert f"http://127.0.0.1:8080/portal/{token}/" in message.body_text
    assert "127.0.0.1:8000" not in message.body_text


def test_a_set_site_url_is_the_start_of_every_emailed_link(
    client: HttpClient, csm: User, new_program: NewProgram, settings: Settings
):
    settings.SITE_URL = "https://retain.agency.example/"
    program = new_program(HALF)
    client.force_login(csm)

    client.post(action("link_send", program), HTTP_HOST="127.0.0.1:8080")

    message = Message.objects.get(subject="Your program page: Spring campaign")
    token = portal.token_for(program.portal_links.get())
    assert f"https://retain.agency.example/portal/{token}/" in message.body_text
    assert "127.0.0.1" not in message.body_text


def test_outside_a_request_a_link_starts_with_the_address_the_server_was_started_at(
    csm: User, new_program: NewProgram, settings: Settings
):
    """The worker has no request: it uses http://127.0.0.1:$PORT, as `make run` passes."""
    settings.SITE_URL = ""
    settings.SERVED_URL = "http://127.0.0.1:8080"
    link = services.issue_portal_link(by=csm, program=new_program(HALF))

    assert portal.url_for(link).startswith("http://127.0.0.1:8080/portal/")


def test_another_units_program_is_not_found(
    client: HttpClient, south_account_manager: User, new_program: NewProgram, harbor: Client
):
    program = new_program(HALF)
    link = services.issue_portal_link(
        by=harbor.team.get(role__code="sales_rep").user, program=program
    )
    client.force_login(south_account_manager)

    for name in ("program", "program_edit"):
        assert client.get(action(name, program)).status_code == 404
    for name in ("program_order", "program_sold", "program_go_live", "proof_upload"):
        assert client.post(action(name, program)).status_code == 404
    for name in ("link_issue", "link_send"):
        assert client.post(action(name, program)).status_code == 404
    assert client.post(reverse("onboarding:link_revoke", args=[link.pk])).status_code == 404
    assert client.get(reverse("onboarding:program_create", args=[harbor.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None and program.portal_links.count() == 1


# Timings and messages of a program ------------------------------------------------------

THE_REST = {
    "tracking_access": "GA4 access granted to ads@agency.example",
    "sem_keywords": "dentist, implants",
    "sem_geography": "Massachusetts",
    "display_targeting": "Families within 25 miles",
    "display_creative": "300x250 and 728x90; logo attached",
}


def approve_proofs(program: Program, by: User) -> None:
    link = program.portal_links.get()
    for kind, title in (("creative", "Banner set"), ("targeting", "Audience plan")):
        version = services.upload_proof(
            by=by,
            program=program,
            kind=kind,
            title=title,
            upload=services.ProofUpload(f"{title}.pdf", "application/pdf", b"%PDF"),
        )
        services.decide_proof(
            link=link, version=version, decision="approved", comment="", contact="Dana Diaz"
        )


def test_the_program_page_counts_the_days_from_the_sale_to_each_step_and_to_go_live(
    clock: time_machine.Traveller,
    client: HttpClient,
    account_manager: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
):
    program = services.mark_program_sold(by=sales_rep, program=new_program({**HALF, **THE_REST}))
    client.force_login(account_manager)
    before = section(client.get(page_of(program)).content.decode(), "Timings")

    clock.move_to(START + timedelta(days=2))
    playbooks.complete_task(by=sales_rep, task=step(program, "production_meeting"))
    clock.move_to(START + timedelta(days=4))
    playbooks.complete_task(by=account_manager, task=step(program, "design_meeting"))
    clock.move_to(START + timedelta(days=5, hours=12))
    approve_proofs(program, account_manager)
    clock.move_to(START + timedelta(days=7))
    playbooks.complete_task(by=account_manager, task=step(program, "set_live"))
    timings = section(client.get(page_of(program)).content.decode(), "Timings")

    assert "Nothing done since the sale yet." in before
    rows = re.findall(r'<tr><td>([^<]*)</td><td class="num">([^<]*)</td></tr>', timings)
    assert dict((html.unescape(title), days) for title, days in rows) == {
        PRODUCTION_MEETING: "2.0",
        "Introduction e-mail to the client": "2.0",
        "Collect the missing order details": "2.0",  # the order was already complete
        "Design meeting on the campaign's vision": "4.0",
        "Client approves creative and targeting": "5.5",
        "Build the campaign and set it live": "7.0",
        "Live": "7.0",
    }
    assert rows[-1] == ("Live", "7.0")
    assert "First contact with the client" not in timings  # still open


def test_each_program_page_lists_only_the_messages_that_program_caused(
    clock: time_machine.Traveller,
    client: HttpClient,
    account_manager: User,
    csm: User,
    sales_rep: User,
    harbor: Client,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
):
    spring = sold(new_program, sales_rep)
    autumn = sold(new_program, sales_rep, name="Autumn campaign")
    link_mail = services.send_portal_link(by=csm, program=spring)
    autumn_link = autumn.portal_links.get()
    services.supply_details(link=autumn_link, details={"sem_keywords": "dentist"}, contact="Dana")
    [team_note] = Message.objects.filter(subject="Harbor Dental sent order details")
    by_hand = write_to_client(
        client=harbor, by=account_manager, to=["contacts"], subject="Hello", body="A word."
    )
    # What a run's step or timer queues carries the run.
    from_run = {
        program.pk: queue_message(
            outgoing=Outgoing(
                subject=f"Reminder for {program.name}",
                body_text="Due soon.",
                to=["role:client_success_manager"],
            ),
            client=harbor,
            cause="playbook onboarding: first_contact",
            run=Run.objects.get(subject_type="program", subject_id=program.pk),
        )
        for program in (spring, autumn)
    }
    client.force_login(account_manager)

    def listed(program: Program) -> tuple[set[int], str]:
        response = client.get(page_of(program))
        pks = {message.pk for message in response.context["program_messages"]}
        return pks, section(response.content.decode(), "Messages")

    spring_listed, spring_section = listed(spring)
    autumn_listed, autumn_section = listed(autumn)

    def invitation(program: Program) -> int:
        meeting = step(program, "production_meeting").meeting
        assert meeting is not None
        return Message.objects.get(cause=f"meeting {meeting.uid}").pk

    assert spring_listed == {invitation(spring), link_mail.pk, from_run[spring.pk].pk}
    assert autumn_listed == {invitation(autumn), team_note.pk, from_run[autumn.pk].pk}
    assert "Your program page: Spring campaign" in spring_section
    assert "Reminder for Autumn campaign" not in spring_section
    assert "Harbor Dental sent order details" in autumn_section
    assert "Your program page" not in autumn_section
    assert by_hand.pk not in spring_listed | autumn_listed


# The board ------------------------------------------------------------------------------


def test_the_board_shows_a_sold_program_at_its_first_open_step_and_marks_it_late(
    client: HttpClient,
    account_manager: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    clock: time_machine.Traveller,
):
    new_program(HALF, name="Not sold yet")
    program = sold(new_program, sales_rep)
    client.force_login(account_manager)

    board = client.get(reverse("onboarding:board")).content.decode()
    column = section(board, PRODUCTION_MEETING)
    assert page_of(program) in column and "Harbor Dental" in column
    assert str(sales_rep) in column  # the production meeting's owner
    assert ">late</span>" not in column
    assert "Not sold yet" not in board

    clock.move_to(START + timedelta(hours=5))  # the production meeting was due after 4
    column = section(client.get(reverse("onboarding:board")).content.decode(), PRODUCTION_MEETING)

    assert ">late</span>" in column
    assert ">stuck</span>" not in column


def test_a_program_with_no_step_done_for_days_is_marked_stuck(
    client: HttpClient,
    account_manager: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    clock: time_machine.Traveller,
    settings: Settings,
):
    sold(new_program, sales_rep)
    client.force_login(account_manager)

    clock.move_to(START + timedelta(days=settings.ONBOARDING_STUCK_DAYS + 1))
    column = section(client.get(reverse("onboarding:board")).content.decode(), PRODUCTION_MEETING)

    assert ">stuck</span>" in column
    assert f"{settings.ONBOARDING_STUCK_DAYS + 1} days since the sale" in column


def test_the_board_counts_the_timings_of_the_programs_sold(
    client: HttpClient,
    account_manager: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    clock.move_to(START + timedelta(days=1))
    playbooks.complete_task(by=sales_rep, task=step(program, "production_meeting"))
    client.force_login(account_manager)

    timings = section(client.get(reverse("onboarding:board")).content.decode(), "Timings")

    assert "Over 1 program sold" in timings
    assert re.search(rf"{PRODUCTION_MEETING}</td><td class=\"num\">1.0<", timings)
    assert "none live yet" in timings


def test_the_board_of_someone_in_another_unit_is_empty(
    client: HttpClient,
    south_account_manager: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
):
    sold(new_program, sales_rep)
    client.force_login(south_account_manager)

    board = client.get(reverse("onboarding:board")).content.decode()

    assert "No program is in onboarding." in board
    assert "Spring campaign" not in board


def test_the_navigation_leads_to_the_board(client: HttpClient, account_manager: User):
    client.force_login(account_manager)
    page = client.get(reverse("clients:list")).content.decode()
    assert f'href="{reverse("onboarding:board")}">Onboarding</a>' in page


# Requirements ---------------------------------------------------------------------------


def requirement_data(**changes: object) -> dict[str, object]:
    return {
        "service": ServiceLine.objects.get(code="sem").pk,
        "key": "sem_daily_cap",
        "label": "Daily budget cap",
        "kind": "number",
        "choices": "",
        "help_text": "The most to spend in a day.",
        "required": "on",
        "position": "30",
        **changes,
    }


def test_an_administrator_adds_a_requirement_for_sem(
    client: HttpClient, administrator: User, new_program: NewProgram
):
    program = new_program(HALF)
    client.force_login(administrator)
    assert (
        reverse("onboarding:requirements")
        in client.get(reverse("administration:home")).content.decode()
    )

    response = client.post(reverse("onboarding:requirement_create"), requirement_data())

    assert response.status_code == 302
    added = DetailRequirement.objects.get(key="sem_daily_cap")
    assert (added.service.code if added.service else None, added.kind) == ("sem", "number")
    assert added.history.get().history_user == administrator
    listing = client.get(reverse("onboarding:requirements")).content.decode()
    assert "Daily budget cap" in listing
    order = section(client.get(page_of(program)).content.decode(), "Purchase order")
    assert "SEM</strong>: Keywords, Search geography, Daily budget cap" in order


def test_a_list_needs_its_choices_and_a_key_is_used_once(client: HttpClient, administrator: User):
    client.force_login(administrator)
    url = reverse("onboarding:requirement_create")

    no_choices = client.post(url, requirement_data(kind="choice"))
    taken = client.post(url, requirement_data(key="sem_keywords"))
    listed = client.post(url, requirement_data(kind="choice", choices="Daily, Weekly, , Daily"))

    assert no_choices.context["form"].errors["choices"] == [
        "List the choices, separated by commas."
    ]
    assert taken.context["form"].errors["key"] == ["Another requirement already uses this key."]
    assert listed.status_code == 302
    assert DetailRequirement.objects.get(key="sem_daily_cap").choices == ["Daily", "Weekly"]


def test_an_administrator_edits_a_requirement(client: HttpClient, administrator: User):
    keywords = DetailRequirement.objects.get(key="sem_keywords")
    client.force_login(administrator)
    url = reverse("onboarding:requirement_edit", args=[keywords.pk])
    assert 'value="Keywords"' in client.get(url).content.decode()

    client.post(url, requirement_data(key="sem_keywords", label="Keywords to bid on"))

    keywords.refresh_from_db()
    assert keywords.label == "Keywords to bid on"


def test_the_key_of_a_detail_orders_hold_is_kept(
    client: HttpClient, administrator: User, new_program: NewProgram
):
    new_program(HALF)  # its order holds the billing contact
    billing = DetailRequirement.objects.get(key="billing_contact")
    client.force_login(administrator)

    response = client.post(
        reverse("onboarding:requirement_edit", args=[billing.pk]),
        requirement_data(service="", key="billing_email", label="Billing e-mail", kind="email"),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["key"] == [
        "Orders already hold this detail under its key; keep the key."
    ]
    billing.refresh_from_db()
    assert (billing.key, billing.label) == ("billing_contact", "Billing contact e-mail")


def test_an_account_manager_may_not_configure_requirements(
    client: HttpClient, account_manager: User
):
    client.force_login(account_manager)

    assert client.get(reverse("onboarding:requirements")).status_code == 403
    assert client.get(reverse("onboarding:requirement_create")).status_code == 403
    response = client.post(reverse("onboarding:requirement_create"), requirement_data())

    assert response.status_code == 403
    assert not DetailRequirement.objects.filter(key="sem_daily_cap").exists()


def test_pages_need_a_sign_in(client: HttpClient, new_program: NewProgram):
    program = new_program(HALF)
    for url in (reverse("onboarding:board"), page_of(program)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_board_scrolls_in_its_own_focusable_box_with_a_hint(
    client: HttpClient,
    account_manager: User,
    sales_rep: User,
    new_program: NewProgram,
    onboarding: PlaybookVersion,
):
    sold(new_program, sales_rep)
    client.force_login(account_manager)

    board = client.get(reverse("onboarding:board")).content.decode()

    scroller = re.search(r'<div class="board-scroller"([^>]*)>\s*<div class="board">', board)
    assert scroller, "the board is not inside its scrolling box"
    assert 'tabindex="0"' in scroller.group(1) and 'role="region"' in scroller.group(1)
    assert 'aria-label="Onboarding board, ' in scroller.group(1)
    assert "Scroll for more stages" in board
    # The box's styles come after the site's own, so they win where both speak.
    assert board.index("retainops/app.css") < board.index("retainops/lists.css")
    found = finders.find("retainops/lists.css")
    assert isinstance(found, str)
    css = Path(found).read_text()
    assert ".board-scroller" in css and "overflow-x: auto" in css
