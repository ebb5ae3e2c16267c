"""What contact plans add to the client page: the plan, its adherence and the latest
touchpoints."""

from typing import Any

from retainops.cadence import queries
from retainops.cadence.models import Touchpoint
from retainops.clients.panels import ClientPanel
from retainops.core.capabilities import Capability


def cadence(client: Any, user: Any) -> dict[str, Any]:
    return {
        "items": list(queries.plan_items(user, client)),
        "adherence_30": queries.adherence(client, 30),
        "adherence_90": queries.adherence(client, 90),
        "days_since": queries.days_since_last_touch(client),
        "upcoming": queries.upcoming(client, limit=4),
        "touchpoints": list(
            Touchpoint.objects.filter(client=client).select_related("by").order_by("-at")[:5]
        ),
        "can_plan": user.has_capability(Capability.PLAN_CONTACTS),
    }


PANELS = (ClientPanel("cadence", 25, "cadence/_client_card.html", cadence),)
