"""Meeting invitations as calendar programs read them: one UID, rising SEQUENCE."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event
from pytest_django import Settings

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.messaging.delivery import process_due
from retainops.messaging.models import Meeting
from retainops.messaging.services import cancel_meeting, move_meeting, schedule_meeting
from retainops.messaging.testing import ReceivedMail, SmtpPeer

from .conftest import START

REVIEW_START = START + timedelta(days=7, hours=5)


def _deliver_one(smtp: SmtpPeer) -> ReceivedMail:
    """Run a delivery pass and return the one new e-mail it put on the wire."""
    before = smtp.count()
    report = process_due(now=timezone.now(), worker="w")
    assert (report.sent, smtp.count()) == (1, before + 1)
    return smtp.received[-1]


def _invitation(mail: ReceivedMail) -> tuple[str, Calendar, Event]:
    [(filename, content_type, payload)] = mail.attachments()
    assert (filename, content_type) == ("invite.ics", "text/calendar")
    [part] = list(mail.parsed.iter_attachments())
    calendar = Calendar.from_ical(payload)
    [event] = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    return str(part.get_param("method")), calendar, event


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value.astimezone(START.tzinfo)


def _move(meeting: Meeting, by: User, starts_at: datetime) -> None:
    move_meeting(
        meeting=meeting, by=by, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )


@pytest.fixture
def review(
    smtp: SmtpPeer, harbor: Client, account_manager: User, clock: time_machine.Traveller
) -> Meeting:
    return schedule_meeting(
        by=account_manager,
        client=harbor,
        title="Quarterly review",
        starts_at=REVIEW_START,
        ends_at=REVIEW_START + timedelta(hours=1),
        attendees=["contacts", "role:account_manager"],
        location="Video call",
    )


def test_scheduling_sends_a_request_with_a_stable_uid(smtp: SmtpPeer, review: Meeting):
    mail = _deliver_one(smtp)

    method, calendar, event = _invitation(mail)
    assert method == "REQUEST" == str(calendar["METHOD"])
    assert str(event["UID"]) == f"{review.uid}@{settings.MESSAGE_ID_DOMAIN}"
    assert event["SEQUENCE"] == 0
    assert _utc(event.decoded("DTSTART")) == REVIEW_START
    assert str(event["SUMMARY"]) == "Quarterly review"
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == [
        "mailto:amy_am@agency.example",
        "mailto:dana@harbor.example",
        "mailto:jane@harbor.example",
    ]
    assert mail.subject == "Invitation: Quarterly review"
    assert sorted(mail.envelope_to) == [a.removeprefix("mailto:") for a in attendees]


def test_moving_sends_the_same_uid_with_sequence_1_and_the_new_start(
    smtp: SmtpPeer, review: Meeting, account_manager: User
):
    first_method, _calendar, first = _invitation(_deliver_one(smtp))
    later = REVIEW_START + timedelta(days=1)

    _move(review, account_manager, later)
    method, calendar, moved = _invitation(_deliver_one(smtp))

    assert (first_method, method, str(calendar["METHOD"])) == ("REQUEST", "REQUEST", "REQUEST")
    assert str(moved["UID"]) == str(first["UID"])
    assert moved["SEQUENCE"] == 1
    assert _utc(moved.decoded("DTSTART")) == later
    assert _utc(moved.decoded("DTEND")) == later + timedelta(hours=1)
    assert str(moved["STATUS"]) == "CONFIRMED"


def test_cancelling_sends_method_cancel_with_sequence_2(
    smtp: SmtpPeer, review: Meeting, account_manager: User
):
    _deliver_one(smtp)
    later = REVIEW_START + timedelta(days=1)
    _move(review, account_manager, later)
    _deliver_one(smtp)

    cancel_meeting(meeting=review, by=account_manager)
    mail = _deliver_one(smtp)

    method, calendar, cancelled = _invitation(mail)
    assert method == "CANCEL" == str(calendar["METHOD"])
    assert str(cancelled["UID"]) == f"{review.uid}@{settings.MESSAGE_ID_DOMAIN}"
    assert cancelled["SEQUENCE"] == 2
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert mail.subject == "Cancelled: Quarterly review"
    uids = {str(_invitation(m)[2]["UID"]) for m in smtp.received}
    assert len(uids) == 1 and len({m.message_id for m in smtp.received}) == 3


def test_the_organizer_is_the_person_who_scheduled_it_by_address_and_name(
    smtp: SmtpPeer, review: Meeting
):
    _method, _calendar, event = _invitation(_deliver_one(smtp))

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:amy_am@agency.example"
    assert str(organizer.params["CN"]) == "Amy Archer"


def test_an_organizer_without_an_email_is_the_sender_by_its_bare_address_and_name(
    smtp: SmtpPeer,
    harbor: Client,
    account_manager: User,
    settings: Settings,
    clock: time_machine.Traveller,
):
    """DEFAULT_FROM_EMAIL reads "Name <address>"; a mailto: URI holds only the address."""
    settings.DEFAULT_FROM_EMAIL = "Harbor Desk <desk@agency.example>"
    account_manager.email = ""
    account_manager.save()
    schedule_meeting(
        by=account_manager,
        client=harbor,
        title="Quarterly review",
        starts_at=REVIEW_START,
        ends_at=REVIEW_START + timedelta(hours=1),
        attendees=["contacts"],
    )

    mail = _deliver_one(smtp)

    _method, _calendar, event = _invitation(mail)
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:desk@agency.example"
    assert str(organizer.params["CN"]) == "Harbor Desk"
    [(_name, _type, payload)] = mail.attachments()
    assert b"<" not in payload.split(b"ORGANIZER", 1)[1].split(b"\r\n", 1)[0]
