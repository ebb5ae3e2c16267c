"""What complaints add to the client page: the client's complaints with their clocks."""

from typing import Any

from retainops.clients.panels import ClientPanel
from retainops.complaints.models import Complaint
from retainops.complaints.queries import rows_with_clocks, with_clock_data
from retainops.core.capabilities import Capability

SHOWN = 10


def complaints(client: Any, user: Any) -> dict[str, Any]:
    recent = list(with_clock_data(Complaint.objects.filter(client=client))[:SHOWN])
    return {
        "rows": rows_with_clocks(recent),
        "can_raise": user.has_capability(Capability.HANDLE_COMPLAINTS),
    }


PANELS = (ClientPanel("complaints", 25, "complaints/_client_card.html", complaints),)
