"""The security log: one structured line per refusal, never a traceback.

Failed sign-ins, lockouts, refused permissions (403) and refused objects (404 for an
object the person may not see, which we do not tell apart from one that does not
exist) are written to the `retainops.security` logger as one JSON object a line, so
a log shipper can count and alert on them. Django's own request logger would write
a traceback for every 403 and 404; those records are dropped by
`DropRefusalTracebacks`, as this log says the same in one line.
"""

import json
import logging
from typing import Any

from django.http import HttpRequest

logger = logging.getLogger("retainops.security")


def log_security_event(event: str, request: HttpRequest | None = None, **fields: Any) -> None:
    """Write one line: the event, who, from where, on what, and any fields given."""
    line: dict[str, Any] = {"event": event}
    if request is not None:
        user = getattr(request, "user", None)
        line["user"] = user.get_username() if user is not None and user.is_authenticated else None
        line["ip"] = request.META.get("REMOTE_ADDR")
        line["method"] = request.method
        line["path"] = request.path
    line.update(fields)
    logger.warning(json.dumps(line, default=str, sort_keys=True))


def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any
) -> None:
    log_security_event("sign_in_failed", request, username=credentials.get("username"))


def on_locked_out(sender: Any, request: Any = None, username: str | None = None, **_: Any) -> None:
    log_security_event("locked_out", request, username=username)


def log_refusal(request: HttpRequest, status: int, reason: str = "") -> None:
    event = "permission_refused" if status == 403 else "object_refused"
    log_security_event(event, request, status=status, reason=reason or None)


class DropRefusalTracebacks(logging.Filter):
    """Keep Django's request log to server errors: a 403 or 404 is in the security log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", 500) not in (403, 404)


class SecurityLogMiddleware:
    """Logs every 403 and 404 a page or the API answers, once, as a security line."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        if response.status_code in (403, 404) and not request.path.startswith("/static/"):
            log_refusal(request, response.status_code)
        return response
