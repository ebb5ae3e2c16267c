"""Days since a contact of the client last opened one of its portal links.

The portal keeps only each link's last use, not every visit: a use after `as_of` hides
the earlier ones, so such a client reads as unknown (None) rather than as a guess.
"""

from datetime import datetime

from django.db.models import Max

from retainops.health.signals import Direction, SignalProvider
from retainops.onboarding.models import PortalLink


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    rows = (
        PortalLink.objects.filter(program__client_id__in=client_ids, last_used_at__isnull=False)
        .values("program__client_id")
        .annotate(last=Max("last_used_at"))
    )
    return {
        row["program__client_id"]: float((as_of - row["last"]).days)
        for row in rows
        if row["last"] <= as_of
    }


def describe(value: float | None) -> str:
    if value is None:
        return "no portal visit known"
    return f"last portal visit {int(value)} days ago"


PROVIDER = SignalProvider(
    key="portal_use",
    label="Days since the last portal visit",
    unit="days",
    direction=Direction.LOWER_IS_BETTER,
    values=values,
    describe=describe,
    point_in_time=False,
)
