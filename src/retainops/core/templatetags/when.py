"""Relative times people read at a glance, with the exact time on hover.

`{{ task.due_at|due }}` gives "in 3 h", "due now" or "2 days late"; `{{ event.at|ago }}`
gives "5 min ago" or "in 2 days". Each is a `<time>` element whose `title` is the
absolute time in the person's time zone (the request's active one) and whose
`datetime` is the ISO instant, so a screen reader or a copy keeps the exact value.
"""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

MINUTE, HOUR, DAY = 60, 3600, 86400


def span(delta: timedelta) -> str:
    """A duration in the largest unit that reads naturally: "45 min", "3 h", "2 days"."""
    seconds = abs(delta.total_seconds())
    if seconds < HOUR:
        return f"{max(1, round(seconds / MINUTE))} min"
    if seconds < DAY:
        return f"{round(seconds / HOUR)} h"
    days = round(seconds / DAY)
    return f"{days} day{'s' if days != 1 else ''}"


def _time(at: datetime, text: str) -> SafeString:
    local = timezone.localtime(at)
    exact = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return format_html('<time datetime="{}" title="{}">{}</time>', at.isoformat(), exact, text)


def due_text(at: datetime, now: datetime) -> str:
    delta = at - now
    if abs(delta) < timedelta(minutes=1):
        return "due now"
    return f"in {span(delta)}" if delta > timedelta(0) else f"{span(delta)} late"


def ago_text(at: datetime, now: datetime) -> str:
    delta = now - at
    if abs(delta) < timedelta(minutes=1):
        return "just now"
    return f"{span(delta)} ago" if delta > timedelta(0) else f"in {span(delta)}"


@register.filter
def due(at: datetime | None) -> SafeString | str:
    """A due time against now: "in 3 h", "2 days late" (empty when there is none)."""
    if at is None:
        return ""
    return _time(at, due_text(at, timezone.now()))


@register.filter
def ago(at: datetime | None) -> SafeString | str:
    """A past moment against now: "5 min ago" (empty when there is none)."""
    if at is None:
        return ""
    return _time(at, ago_text(at, timezone.now()))
