"""RFC 5545 recurrence rules of plan items: checked with python-dateutil, expanded into
the instants an occurrence falls due.

A rule is stored as its RRULE value without the `RRULE:` prefix (`FREQ=WEEKLY;BYDAY=TU`),
the way an iCalendar VEVENT carries it; the first instant (DTSTART) is the item's start
date at its time of day, in the project's time zone.
"""

from datetime import date, datetime, time
from typing import Any

from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import ValidationError
from django.utils import timezone

# A DTSTART in the rule would fight the item's own start date.
_FORBIDDEN_PARTS = ("DTSTART", "RRULE:", "EXDATE", "RDATE")


def normalise(text: str) -> str:
    """The rule as stored: upper case, no prefix, no blanks."""
    rule = "".join(text.split()).upper()
    return rule.removeprefix("RRULE:")


def check_rule(text: str, field: str = "rrule") -> str:
    """The rule normalised, or a ValidationError naming `field` saying what is wrong."""
    rule = normalise(text)
    if not rule:
        raise ValidationError({field: ["Give a recurrence rule, e.g. FREQ=WEEKLY;BYDAY=TU."]})
    if any(part in rule for part in _FORBIDDEN_PARTS):
        raise ValidationError(
            {field: ["Give the RRULE value only (FREQ=...); the start date sets DTSTART."]}
        )
    if not rule.startswith("FREQ=") and ";FREQ=" not in rule:
        raise ValidationError({field: ["A recurrence rule needs FREQ (e.g. FREQ=MONTHLY)."]})
    try:
        rrulestr(rule, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as error:
        raise ValidationError({field: [f"Not a valid RFC 5545 rule: {error}."]}) from None
    return rule


def first_instant(starts_on: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(starts_on, at))


def build(rule: str, starts_on: date, at: time) -> Any:
    """The dateutil rule set running from the item's first instant (aware datetimes)."""
    parsed = rrulestr(rule, dtstart=first_instant(starts_on, at))
    assert isinstance(parsed, rrule)
    return parsed


def instants(rule: str, starts_on: date, at: time, after: datetime, until: datetime) -> list:
    """The instants of the rule in (after, until], oldest first."""
    found = build(rule, starts_on, at).between(after, until, inc=True)
    return [moment for moment in found if moment > after]
