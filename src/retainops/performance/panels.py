"""What performance adds to other pages: the program page's KPI panel, and the client
page's list of targets promised beyond what comparable programs achieved (read by
whoever takes the hand-off from sales)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from retainops.clients.panels import ClientPanel
from retainops.onboarding.program_panels import ProgramPanel
from retainops.performance.measures import pacing_of
from retainops.performance.queries import over_promised_targets, program_kpi_summary


def program_values(program: Any, user: Any) -> dict[str, Any]:
    # Daily metrics are for finished days: the figures run to yesterday.
    as_of = timezone.localdate() - timedelta(days=1)
    return {
        "standings": program_kpi_summary(program, as_of=as_of),
        "over_promised": over_promised_targets([program.pk]),
        "pacing": pacing_of([program], as_of=as_of).get(program.pk),
    }


def client_values(client: Any, user: Any) -> dict[str, Any]:
    return {"over_promised": over_promised_targets(client.programs.values_list("pk", flat=True))}


PROGRAM_PANEL = ProgramPanel("performance", 20, "performance/_program_panel.html", program_values)
CLIENT_PANEL = ClientPanel("expectations", 12, "performance/_client_panel.html", client_values)
