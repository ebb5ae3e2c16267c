"""What drops add to the client page: the client's upcoming drops and their readiness."""

from typing import Any

from django.utils import timezone

from retainops.clients.panels import ClientPanel
from retainops.core.access import sees_all_units
from retainops.drops.choices import DropState
from retainops.drops.models import Drop


def upcoming_drops(client: Any, user: Any) -> dict[str, Any]:
    if not (sees_all_units(user) or client.business_unit_id in user.unit_ids()):
        return {"drops": []}
    drops = (
        Drop.objects.filter(
            program__client=client,
            drop_at__gte=timezone.now(),
            state__in=[DropState.PLANNED, DropState.READY],
        )
        .select_related("program")
        .prefetch_related("gates")
        .order_by("drop_at")[:10]
    )
    rows = [
        {"drop": d, "open": [g.get_gate_display() for g in d.gates.all() if g.is_open]}
        for d in drops
    ]
    return {"drops": rows}


PANELS = (ClientPanel("drops", 35, "drops/_client_card.html", upcoming_drops),)
