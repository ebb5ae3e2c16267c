"""Onboarding a sold program, end to end through the services: the introduction e-mail
lists exactly what is missing, the client supplies it through the portal, the steps run in
order through go-live, QA and launch, and the meetings after go-live follow it."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404
from icalendar import Calendar, Event, vRecur

from retainops.core.models import User
from retainops.core.testing import UserFactory
from retainops.messaging.models import Meeting, Message
from retainops.messaging.testing import ReceivedMail, SmtpPeer
from retainops.onboarding import portal, queries, services
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program, ProofVersion
from retainops.onboarding.requirements import missing_details
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import PlaybookVersion, Run, Task, TimelineEvent

from .conftest import START

NewProgram = Callable[..., Program]
HALF = {
    "billing_contact": "bills@harbor.example",
    "landing_page": "https://harbor.example/spring",
    "display_geography": "Boston, 25 miles",
}


def run_of(program: Program) -> Run:
    return Run.objects.get(subject_type="program", subject_id=program.pk)


def step(program: Program, key: str) -> Task:
    return Task.objects.select_related("meeting").get(run=run_of(program), step_key=key)


def done(program: Program, key: str, by: User) -> None:
    playbooks.complete_task(by=by, task=step(program, key))


def tick() -> str:
    output = StringIO()
    call_command("tick", stdout=output)
    return output.getvalue()


def sold(new_program: NewProgram, by: User, **fields: object) -> Program:
    program = new_program(HALF, **fields)
    return services.mark_program_sold(by=by, program=program)


PRODUCTION = "Internal production meeting on the order"
DESIGN = "Design meeting on the campaign's vision"
WEEK = "Reporting and onboarding meeting"
MONTH = "30-day optimization meeting on ROI"
SERIES = "Optimization meetings every 30 days"
CONTACTS = ["dana@harbor.example", "evan@harbor.example"]


def invitations(smtp: SmtpPeer, title: str) -> list[tuple[ReceivedMail, Event]]:
    """What the SMTP server received for Harbor's meeting of this step title, in the
    order it arrived: each e-mail with the event of its iCalendar attachment."""
    received = []
    for mail in smtp.received:
        for _filename, content_type, payload in mail.attachments():
            if content_type != "text/calendar":
                continue
            [event] = Calendar.from_ical(payload).walk("VEVENT")
            assert isinstance(event, Event)
            if str(event["SUMMARY"]) == f"{title}: Harbor Dental":
                received.append((mail, event))
    return received


def invited(event: Event) -> list[str]:
    """The addresses of the event's ATTENDEE lines, sorted."""
    lines = event.get("ATTENDEE", [])
    lines = lines if isinstance(lines, list) else [lines]
    return sorted(str(line).removeprefix("mailto:") for line in lines)


def starts(event: Event) -> object:
    return event.decoded("DTSTART")


def sequence(event: Event) -> int:
    value = event["SEQUENCE"]
    assert isinstance(value, int)
    return value


def test_missing_details_follow_the_services_of_the_program(new_program: NewProgram):
    program = new_program(HALF)

    missing = [(m.service, m.label) for m in missing_details(program)]

    assert missing == [
        ("Every program", "Tracking access"),
        ("SEM", "Keywords"),
        ("SEM", "Search geography"),
        ("Targeted display", "Audience targeting"),
        ("Targeted display", "Creative specifications"),
    ]


def test_a_bad_detail_is_named_and_nothing_is_saved(new_program: NewProgram, csm: User):
    program = new_program(HALF)

    with pytest.raises(ValidationError) as refused:
        services.update_order(
            by=csm,
            program=program,
            details={
                "billing_contact": "not an address",
                "sem_keywords": "dentist",
                "colour": "red",
            },
        )

    assert set(refused.value.message_dict) == {"billing_contact", "colour"}
    program.refresh_from_db()
    assert program.details == HALF


def test_creative_and_targeting_keep_their_lines_and_a_one_line_detail_refuses_them(
    new_program: NewProgram, account_manager: User
):
    program = new_program(HALF)
    creative = "Sizes: 300x250, 728x90\r\nLogo: attached\r\n\r\nMessage: book a check-up"

    services.update_order(
        by=account_manager,
        program=program,
        details={"display_creative": creative, "display_targeting": "Families\nWithin 25 miles"},
    )
    with pytest.raises(ValidationError) as refused:
        services.update_order(
            by=account_manager,
            program=program,
            details={"display_geography": "Boston\nCambridge", "tracking_access": "GA4\rGTM"},
        )

    program.refresh_from_db()
    # Lines as the browser sends them (CRLF) are kept as plain newlines.
    assert program.details["display_creative"] == (
        "Sizes: 300x250, 728x90\nLogo: attached\n\nMessage: book a check-up"
    )
    assert program.details["display_targeting"] == "Families\nWithin 25 miles"
    assert refused.value.message_dict == {
        "display_geography": ["One line only."],
        "tracking_access": ["One line only."],
    }
    assert program.details["display_geography"] == "Boston, 25 miles"
    assert "tracking_access" not in program.details


def test_selling_starts_onboarding_and_the_introduction_lists_exactly_what_is_missing(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    csm: User,
    account_manager: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    run = run_of(program)
    assert (run.version, run.trigger) == (onboarding, "program.sold")
    meeting = step(program, "production_meeting").meeting
    assert meeting is not None and meeting.starts_at == START + timedelta(hours=4)
    assert step(program, "first_contact").due_at == START + timedelta(hours=24)

    done(program, "production_meeting", sales_rep)
    tick()

    [intro] = [m for m in smtp.received if m.subject.startswith("Welcome")]
    assert sorted(intro.envelope_to) == ["dana@harbor.example", "evan@harbor.example"]
    text = intro.part("text/plain")
    listed = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    assert listed == [
        "Tracking access (Every program)",
        "Keywords (SEM)",
        "Search geography (SEM)",
        "Audience targeting (Targeted display)",
        "Creative specifications (Targeted display)",
    ]
    assert str(account_manager) in text and str(csm) in text
    assert services.current_portal_url(program) in text


def test_the_collect_step_cannot_be_done_while_details_are_missing(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    csm: User,
    team_lead: User,
):
    program = sold(new_program, sales_rep)
    done(program, "production_meeting", sales_rep)
    collect = step(program, "collect_details")
    assert collect.state == TaskState.OPEN

    with pytest.raises(ValidationError) as refused:
        playbooks.complete_task(by=csm, task=collect)
    assert "Still missing: Order detail: Keywords (SEM)" in refused.value.message_dict["requires"]
    with pytest.raises(PermissionDenied):
        playbooks.complete_task(by=csm, task=collect, override_reason="The client is slow")

    playbooks.complete_task(by=team_lead, task=collect, override_reason="Keywords come Monday")
    assert step(program, "collect_details").state == TaskState.DONE
    assert step(program, "design_meeting").state == TaskState.OPEN


def test_the_client_supplies_what_is_missing_through_the_portal_and_the_step_completes(
    new_program: NewProgram, onboarding: PlaybookVersion, sales_rep: User
):
    program = sold(new_program, sales_rep)
    done(program, "production_meeting", sales_rep)
    link = portal.resolve(portal.token_for(program.portal_links.get()))

    services.supply_details(
        link=link,
        details={"tracking_access": "GA4 access for ads@agency.example", "sem_keywords": "dentist"},
        contact="Dana Diaz",
    )
    assert step(program, "collect_details").state == TaskState.OPEN

    services.supply_details(
        link=link,
        details={
            "sem_geography": "Massachusetts",
            "display_targeting": "Families within 25 miles",
            "display_creative": "300x250, 728x90; logo attached",
        },
        contact="Dana Diaz",
    )

    collect = step(program, "collect_details")
    assert (collect.state, collect.closed_by) == (TaskState.DONE, None)
    assert missing_details(Program.objects.get(pk=program.pk)) == []
    assert Message.objects.filter(subject="Harbor Dental sent order details").count() == 2


def test_a_portal_link_shows_one_program_and_stops_when_revoked_or_expired(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    csm: User,
    clock: time_machine.Traveller,
    settings,
):
    program = sold(new_program, sales_rep)
    other = sold(new_program, sales_rep, name="Autumn campaign")
    link = program.portal_links.get()
    token = portal.token_for(link)

    assert portal.resolve(token).program == program
    with pytest.raises(Http404):
        portal.resolve(token[:-2] + "xx")
    with pytest.raises(Http404):
        portal.resolve(f"{other.portal_links.get().uid.hex}:forged")

    clock.move_to(START + timedelta(days=settings.PORTAL_LINK_DAYS, seconds=1))
    with pytest.raises(Http404):
        portal.resolve(token)

    clock.move_to(START)
    services.revoke_portal_link(by=csm, link=link)
    with pytest.raises(Http404):
        portal.resolve(token)


def test_a_proof_is_approved_in_its_latest_version_only(
    new_program: NewProgram, onboarding: PlaybookVersion, sales_rep: User, account_manager: User
):
    program = sold(new_program, sales_rep)
    link = program.portal_links.get()
    first = services.upload_proof(
        by=account_manager,
        program=program,
        kind="creative",
        title="Banner set",
        upload=services.ProofUpload("banners-v1.zip", "application/zip", b"v1"),
    )
    services.decide_proof(
        link=link, version=first, decision="changes", comment="Bigger logo", contact="Dana"
    )
    second = services.upload_proof(
        by=account_manager,
        program=program,
        kind="creative",
        title="Banner set",
        upload=services.ProofUpload("banners-v2.zip", "application/zip", b"v2"),
        note="Logo enlarged",
    )

    with pytest.raises(ValidationError, match="newer version"):
        services.decide_proof(
            link=link, version=first, decision="approved", comment="", contact="D"
        )
    with pytest.raises(ValidationError, match="what to change"):
        services.decide_proof(
            link=link, version=second, decision="changes", comment="", contact="D"
        )
    services.decide_proof(
        link=link, version=second, decision="approved", comment="", contact="Dana"
    )

    assert second.number == 2
    assert list(
        ProofVersion.objects.filter(proof=second.proof).values_list("number", "decision")
    ) == [
        (2, "approved"),
        (1, "changes"),
    ]


def _through_design(
    program: Program, sales_rep: User, account_manager: User, *, design_done: bool = True
) -> None:
    """Production meeting held, every missing detail sent through the portal, and (unless
    told otherwise) the design meeting held."""
    done(program, "production_meeting", sales_rep)
    link = program.portal_links.get()
    services.supply_details(
        link=link,
        details={
            "tracking_access": "granted",
            "sem_keywords": "dentist",
            "sem_geography": "MA",
            "display_targeting": "Families",
            "display_creative": "300x250",
        },
        contact="Dana",
    )
    if design_done:
        done(program, "design_meeting", account_manager)


def test_the_steps_run_in_order_through_go_live_qa_and_launch(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    account_manager: User,
    csm: User,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    _through_design(program, sales_rep, account_manager)
    link = program.portal_links.get()
    for kind, title in (("creative", "Banner set"), ("targeting", "Audience plan")):
        version = services.upload_proof(
            by=account_manager,
            program=program,
            kind=kind,
            title=title,
            upload=services.ProofUpload(f"{title}.pdf", "application/pdf", b"%PDF"),
        )
        assert step(program, "client_approval").state == TaskState.OPEN
        services.decide_proof(
            link=link, version=version, decision="approved", comment="", contact="Dana"
        )
    assert step(program, "client_approval").state == TaskState.DONE
    assert step(program, "set_live").state == TaskState.OPEN
    assert step(program, "qa_check").state == TaskState.WAITING

    clock.move_to(START + timedelta(days=9))
    done(program, "set_live", account_manager)

    program.refresh_from_db()
    assert program.status == ProgramStatus.LIVE
    assert program.went_live_at == START + timedelta(days=9)
    assert step(program, "qa_check").due_at == START + timedelta(days=11)
    done(program, "qa_check", account_manager)
    launch = Message.objects.get(subject="Spring campaign is live")
    assert sorted(r.address for r in launch.recipients.all()) == sorted(
        ["dana@harbor.example", "evan@harbor.example", csm.email, sales_rep.email]
    )
    assert queries.program_timings(program)["Live"] == 9.0


def test_the_meetings_after_go_live_are_invited_and_move_when_go_live_moves(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    csm: User,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    assert step(program, "onboarding_meeting").meeting is None  # no go-live planned yet

    planned = START + timedelta(days=14)
    services.plan_go_live(by=csm, program=program, at=planned)

    week = step(program, "onboarding_meeting").meeting
    month = step(program, "optimization_meeting").meeting
    series = step(program, "further_optimization").meeting
    assert week is not None and month is not None and series is not None
    assert (week.starts_at, month.starts_at) == (
        planned + timedelta(days=7),
        planned + timedelta(days=30),
    )
    assert series.starts_at == planned + timedelta(days=60)
    assert series.recurrence.startswith("FREQ=DAILY;INTERVAL=30;UNTIL=20270601T")
    assert Message.objects.filter(
        subject__startswith="Invitation: Reporting and onboarding"
    ).exists()

    slipped = planned + timedelta(days=5)
    services.plan_go_live(by=csm, program=program, at=slipped)

    week.refresh_from_db()
    month.refresh_from_db()
    assert (week.starts_at, week.sequence) == (slipped + timedelta(days=7), 1)
    assert (month.starts_at, month.sequence) == (slipped + timedelta(days=30), 1)
    moved = Message.objects.filter(subject__startswith="Moved: Reporting and onboarding")
    assert moved.count() == 1
    assert Meeting.objects.filter(pk=week.pk, state="scheduled").exists()


def test_the_production_meeting_invites_the_sales_rep_csm_and_account_manager_only(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    csm: User,
    account_manager: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    sold(new_program, sales_rep)
    tick()

    [(mail, event)] = invitations(smtp, PRODUCTION)
    team = sorted([sales_rep.email, csm.email, account_manager.email])
    assert invited(event) == team  # not the team lead, the creative director or the client
    assert sorted(mail.envelope_to) == team
    assert mail.subject == f"Invitation: {PRODUCTION}: Harbor Dental"
    assert (starts(event), sequence(event)) == (START + timedelta(hours=4), 0)


def test_the_design_meeting_invites_the_account_manager_and_creative_director_only(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    account_manager: User,
    creative_director: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    _through_design(program, sales_rep, account_manager, design_done=False)
    tick()

    [(mail, event)] = invitations(smtp, DESIGN)
    pair = sorted([account_manager.email, creative_director.email])
    assert invited(event) == pair
    assert sorted(mail.envelope_to) == pair
    assert starts(event) == START + timedelta(days=2)  # 2 days after the details came in


def test_without_a_creative_director_on_the_team_the_design_meeting_invites_the_units(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    harbor,
    sales_rep: User,
    account_manager: User,
    creative_director: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    harbor.team.filter(role__code="creative_director").delete()
    # Another creative director of North, joined later: the first one by id is invited.
    UserFactory.create(
        username="cai_creative", roles=["creative_director"], units=[harbor.business_unit]
    )
    program = sold(new_program, sales_rep)
    _through_design(program, sales_rep, account_manager, design_done=False)
    tick()

    [(_mail, event)] = invitations(smtp, DESIGN)
    assert invited(event) == sorted([account_manager.email, creative_director.email])


def test_with_no_creative_director_in_the_unit_the_design_meeting_says_who_is_missing(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    harbor,
    sales_rep: User,
    account_manager: User,
    creative_director: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    harbor.team.filter(role__code="creative_director").delete()
    creative_director.is_active = False
    creative_director.save()
    program = sold(new_program, sales_rep)
    _through_design(program, sales_rep, account_manager, design_done=False)
    tick()

    [(_mail, event)] = invitations(smtp, DESIGN)
    assert invited(event) == [account_manager.email]
    notes = TimelineEvent.objects.filter(task=step(program, "design_meeting"))
    assert any(
        "no creative director on Harbor Dental's team nor in North" in note.summary
        for note in notes
    )


def test_the_meetings_after_go_live_invite_the_people_the_playbook_names(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    csm: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    planned = START + timedelta(days=14)
    services.plan_go_live(by=csm, program=program, at=planned)
    tick()

    expected = {
        WEEK: (7, sorted([csm.email, *CONTACTS])),
        MONTH: (30, sorted([sales_rep.email, csm.email, *CONTACTS])),
        SERIES: (60, sorted([csm.email, *CONTACTS])),
    }
    for title, (days, people) in expected.items():
        [(mail, event)] = invitations(smtp, title)
        assert invited(event) == people, title
        assert sorted(mail.envelope_to) == people, title
        assert starts(event) == planned + timedelta(days=days), title
    [(_mail, series)] = invitations(smtp, SERIES)
    rule = series["RRULE"]
    assert isinstance(rule, vRecur)
    # Every 30 days until the end of the flight's last day (31 May 2027).
    assert dict(rule) == {
        "FREQ": ["DAILY"],
        "INTERVAL": [30],
        "UNTIL": [datetime(2027, 6, 1, tzinfo=UTC)],
    }


def test_moving_the_planned_go_live_sends_each_meeting_again_with_its_uid_and_sequence_1(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    csm: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    program = sold(new_program, sales_rep)
    planned = START + timedelta(days=14)
    services.plan_go_live(by=csm, program=program, at=planned)
    tick()
    slipped = planned + timedelta(days=5)

    services.plan_go_live(by=csm, program=program, at=slipped)
    tick()

    for title, days in ((WEEK, 7), (MONTH, 30), (SERIES, 60)):
        [(first_mail, first), (moved_mail, moved)] = invitations(smtp, title)
        assert moved_mail.subject == f"Moved: {title}: Harbor Dental"
        assert str(moved["UID"]) == str(first["UID"]), title
        assert (sequence(first), sequence(moved)) == (0, 1), title
        assert (starts(first), starts(moved)) == (
            planned + timedelta(days=days),
            slipped + timedelta(days=days),
        ), title
        assert sorted(moved_mail.envelope_to) == sorted(first_mail.envelope_to) == invited(moved)
    [(_, first_series), (_, moved_series)] = invitations(smtp, SERIES)
    # The series starts later and still ends with the flight.
    assert moved_series["RRULE"].to_ical() == first_series["RRULE"].to_ical()
    series = step(program, "further_optimization").meeting
    assert series is not None
    assert (series.starts_at, series.sequence) == (slipped + timedelta(days=60), 1)


def _ready_to_go_live(program: Program, sales_rep: User, account_manager: User) -> None:
    """Details in, design meeting held, creative and targeting approved by the client."""
    _through_design(program, sales_rep, account_manager)
    link = program.portal_links.get()
    for kind, title in (("creative", "Banner set"), ("targeting", "Audience plan")):
        version = services.upload_proof(
            by=account_manager,
            program=program,
            kind=kind,
            title=title,
            upload=services.ProofUpload(f"{title}.pdf", "application/pdf", b"%PDF"),
        )
        services.decide_proof(
            link=link, version=version, decision="approved", comment="", contact="Dana"
        )


@pytest.mark.parametrize(
    "live_on_day",
    [19, 9, 25],
    ids=["late", "early", "late-past-the-planned-week-meeting"],
)
def test_the_meetings_after_go_live_follow_the_actual_go_live_not_the_planned_one(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    account_manager: User,
    csm: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
    live_on_day: int,
):
    program = sold(new_program, sales_rep)
    _ready_to_go_live(program, sales_rep, account_manager)
    planned = START + timedelta(days=14)
    services.plan_go_live(by=csm, program=program, at=planned)
    tick()
    actual = START + timedelta(days=live_on_day)

    clock.move_to(actual)
    done(program, "set_live", account_manager)
    tick()

    assert step(program, "qa_check").due_at == actual + timedelta(days=2)
    for title, days in ((WEEK, 7), (MONTH, 30), (SERIES, 60)):
        [(_, invitation), (update_mail, update)] = invitations(smtp, title)
        assert starts(invitation) == planned + timedelta(days=days), title
        assert starts(update) == actual + timedelta(days=days), title
        assert str(update["UID"]) == str(invitation["UID"]), title
        assert sequence(update) > sequence(invitation), title
        assert sorted(update_mail.envelope_to) == invited(update), title
    week = step(program, "onboarding_meeting").meeting
    assert week is not None and week.starts_at == actual + timedelta(days=7)
    # What does not hang on go-live is not sent again.
    assert len(invitations(smtp, PRODUCTION)) == len(invitations(smtp, DESIGN)) == 1


def test_a_short_program_has_no_series_of_optimization_meetings(
    new_program: NewProgram, onboarding: PlaybookVersion, sales_rep: User
):
    from datetime import date

    program = sold(new_program, sales_rep, start_date=date(2026, 12, 1), end_date=date(2027, 1, 15))

    further = step(program, "further_optimization")
    assert further.state == TaskState.SKIPPED
    assert "flight_days > 60" in further.skip_reason


def test_selling_is_for_those_who_edit_contracts_in_the_unit(
    new_program: NewProgram, onboarding: PlaybookVersion, csm: User, south, sales_rep: User
):
    program = new_program(HALF)
    outsider_rep = UserFactory.create(roles=["sales_rep"], units=[south])

    with pytest.raises(PermissionDenied):
        services.mark_program_sold(by=csm, program=program)
    with pytest.raises(PermissionDenied):
        services.mark_program_sold(by=outsider_rep, program=program)
    services.mark_program_sold(by=sales_rep, program=program)
    with pytest.raises(ValidationError, match="cannot be sold again"):
        services.mark_program_sold(by=sales_rep, program=program)


def test_the_board_shows_each_program_at_its_furthest_stage_late_and_stuck(
    new_program: NewProgram,
    onboarding: PlaybookVersion,
    sales_rep: User,
    account_manager: User,
    csm: User,
    clock: time_machine.Traveller,
    settings,
):
    fresh = sold(new_program, sales_rep)
    along = sold(new_program, sales_rep, name="Autumn campaign")
    _through_design(along, sales_rep, account_manager)
    new_program(HALF, name="Not sold yet")

    board = queries.onboarding_board(csm)
    stages = {card.program.name: card for cards in board.cards.values() for card in cards}
    assert set(stages) == {"Spring campaign", "Autumn campaign"}
    assert stages["Spring campaign"].stage == "Internal production meeting on the order"
    assert stages["Autumn campaign"].stage == "Client approves creative and targeting"
    assert board.columns == [
        "Internal production meeting on the order",
        "Client approves creative and targeting",
    ]
    assert not stages["Spring campaign"].late

    clock.move_to(START + timedelta(days=settings.ONBOARDING_STUCK_DAYS + 1))
    later = queries.onboarding_board(csm)
    cards = {card.program.pk: card for cards in later.cards.values() for card in cards}
    assert cards[fresh.pk].late and cards[fresh.pk].stuck
    assert cards[fresh.pk].age_days == settings.ONBOARDING_STUCK_DAYS + 1
    assert later.timings.programs == 2
    assert later.timings.median_days_to_step["Collect the missing order details"] == 0.0


def test_the_portal_fills_what_is_missing_and_cannot_overwrite_what_is_on_file(
    new_program: NewProgram, onboarding: PlaybookVersion, sales_rep: User
):
    program = sold(new_program, sales_rep)
    link = program.portal_links.get()

    with pytest.raises(ValidationError) as refused:
        services.supply_details(
            link=link,
            details={"billing_contact": "attacker@evil.example", "sem_keywords": "dentist"},
            contact="Someone",
        )

    assert set(refused.value.message_dict) == {"billing_contact"}
    program.refresh_from_db()
    assert program.details["billing_contact"] == "bills@harbor.example"
    assert "sem_keywords" not in program.details
