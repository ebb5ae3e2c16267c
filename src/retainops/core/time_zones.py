"""Each person reads times in their own time zone.

A person's `time_zone` (an IANA name such as Europe/London; blank for the site's
TIME_ZONE) is activated for every request they make, so templates, forms and the
`due`/`ago` filters show their local time. Stored times stay in UTC.
"""

from collections.abc import Callable
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def validate_time_zone(name: str) -> None:
    if name and name not in time_zone_names():
        raise ValidationError(f"{name!r} is not a time zone name such as Europe/London.")


class ActivatePersonTimeZone:
    """Middleware: the signed-in person's time zone for the length of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = getattr(getattr(request, "user", None), "time_zone", "")
        if name and name in time_zone_names():
            timezone.activate(ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
