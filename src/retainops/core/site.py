"""The address links in pages and messages start with.

`SITE_URL`, when set, is that address. When it is not (development), a link
follows the address the page was asked at: the request's scheme and host (the host
already checked against ALLOWED_HOSTS). Outside a request (the worker), it is the
address the server was started at, `http://127.0.0.1:$PORT` (`make run` passes
its PORT to both). With DEBUG false a missing, malformed or plain-http SITE_URL
is a system-check error, so production never mails a link to a guessed address.
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.http import HttpRequest, HttpResponse

_REQUEST_ORIGIN: ContextVar[str] = ContextVar("retainops_request_origin", default="")


def site_url() -> str:
    """The address links start with, without a trailing slash."""
    configured = settings.SITE_URL.strip()
    if configured:
        return configured.rstrip("/")
    return (_REQUEST_ORIGIN.get() or settings.SERVED_URL).rstrip("/")


def absolute(path: str) -> str:
    """A full link to `path` (which starts with a slash)."""
    return site_url() + path


class RememberRequestOrigin:
    """Keeps the current request's scheme and host for site_url() while it is answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            origin = f"{request.scheme}://{request.get_host()}"
        except Exception:  # a host outside ALLOWED_HOSTS: the view refuses it anyway
            origin = ""
        token = _REQUEST_ORIGIN.set(origin)
        try:
            return self.get_response(request)
        finally:
            _REQUEST_ORIGIN.reset(token)


def site_url_problem(value: str) -> str:
    """What is wrong with SITE_URL for production, or "" when nothing is."""
    value = value.strip()
    if not value:
        return "SITE_URL is not set."
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return f"SITE_URL={value!r} is not an address."
    if parts.scheme != "https":
        return f"SITE_URL={value!r} must start with https://."
    if not parts.hostname or parts.query or parts.fragment:
        return f"SITE_URL={value!r} is not an address like https://retain.example.org."
    return ""


@register()
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.DEBUG:
        return []
    problem = site_url_problem(settings.SITE_URL)
    if not problem:
        return []
    return [
        Error(
            problem,
            hint="Set SITE_URL to the https address clients open (links in e-mails start with it).",
            id="retainops.E001",
        )
    ]


DEFAULT_AGENCY_NAME = "RetainOps"


@register(deploy=True)
def check_agency_name(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Clients read the agency's name in the portal and in e-mails: in production it
    should be the agency's own, not the product's."""
    if settings.AGENCY_NAME.strip() and settings.AGENCY_NAME != DEFAULT_AGENCY_NAME:
        return []
    return [
        Warning(
            f"AGENCY_NAME is not set: clients read {DEFAULT_AGENCY_NAME!r} in the portal "
            "and in e-mails.",
            hint="Set AGENCY_NAME (and AGENCY_LOGO_URL) to the agency's own.",
            id="retainops.W001",
        )
    ]
