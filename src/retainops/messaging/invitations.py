"""iCalendar (RFC 5545) invitations for meetings.

One UID per meeting for its whole life; every change raises SEQUENCE so
calendar programs replace the earlier version; cancelling sends METHOD:CANCEL.
"""

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vRecur, vText

from retainops.messaging.models import Meeting
from retainops.messaging.recipients import Recipient


def _address(email: str, name: str, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(name)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def _organizer(meeting: Meeting) -> vCalAddress:
    """The organizer's own address; for one without an e-mail, the sender's address.

    DEFAULT_FROM_EMAIL may carry a display name ("RetainOps <retainops@localhost>"):
    the mailto: URI takes only the bare address, the name becomes the CN.
    """
    organizer = meeting.organizer
    if organizer.email:
        return _address(organizer.email, str(organizer))
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return _address(address, name)


def build_invitation(
    meeting: Meeting, attendees: list[Recipient], *, method: str, stamp: datetime | None = None
) -> bytes:
    """The .ics file for a REQUEST (new or moved meeting) or a CANCEL."""
    calendar = Calendar()
    calendar.add("prodid", "-//RetainOps//Meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{meeting.uid}@{settings.MESSAGE_ID_DOMAIN}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    if meeting.recurrence:
        event.add("rrule", vRecur.from_ical(meeting.recurrence))
    event.add("summary", meeting.title)
    if meeting.description:
        event.add("description", meeting.description)
    if meeting.location:
        event.add("location", meeting.location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event["organizer"] = _organizer(meeting)
    for attendee in attendees:
        event.add("attendee", _address(attendee.address, attendee.name, "REQ-PARTICIPANT"))
    calendar.add_component(event)
    return calendar.to_ical()
