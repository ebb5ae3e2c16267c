"""What contact plans add to the client page: the plan, its adherence and the latest
touchpoints."""

from typing import Any

from django.utils import timezone

from retainops.cadence import queries
from retainops.cadence.models import Touchpoint
from retainops.clients.panels import ClientPanel
from retainops.core.capabilities import Capability


def cadence(client: Any, user: Any) -> dict[str, Any]:
    now = timezone.now()
    adherence_30, adherence_90 = queries.adherences(client, (30, 90), now=now)
    # The latest touchpoints, newest first, also tell how long ago the last one was.
    touchpoints = list(
        Touchpoint.objects.filter(client=client).select_related("by").order_by("-at")[:5]
    )
    return {
        "items": list(queries.plan_items(user, client)),
        "adherence_30": adherence_30,
        "adherence_90": adherence_90,
        "days_since": (now - touchpoints[0].at).days if touchpoints else None,
        "upcoming": queries.upcoming(client, limit=4),
        "touchpoints": touchpoints,
        "can_plan": user.has_capability(Capability.PLAN_CONTACTS),
    }


PANELS = (ClientPanel("cadence", 25, "cadence/_client_card.html", cadence),)
