"""What message templates may say about a program (`{{ program.portal_link }}` ...)."""

from typing import Any

from django.utils import timezone

from retainops.onboarding import portal
from retainops.onboarding.models import Program
from retainops.onboarding.requirements import missing_details

PROGRAM_VARIABLES: dict[str, Any] = {
    "name": None,
    "services": None,
    "start_date": None,
    "end_date": None,
    "go_live": None,
    "portal_link": None,
    "missing_count": None,
    "missing": [{"label": None, "service": None}],
}


def current_portal_url(program: Program) -> str:
    """The newest usable portal link of the program ('' when there is none)."""
    link = program.portal_links.filter(
        revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    return portal.url_for(link) if link else ""


def program_variables(program: Program) -> dict[str, Any]:
    missing = missing_details(program)
    go_live = (
        timezone.localtime(program.go_live_at).strftime("%d %B %Y") if program.go_live_at else ""
    )
    return {
        "program": {
            "name": program.name,
            "services": ", ".join(
                line.service.name for line in program.lines.select_related("service")
            ),
            "start_date": program.start_date,
            "end_date": program.end_date,
            "go_live": go_live,
            "portal_link": current_portal_url(program),
            "missing_count": len(missing),
            "missing": [{"label": m.label, "service": m.service} for m in missing],
        }
    }
