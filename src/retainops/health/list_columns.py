"""The health column of the client list: the latest snapshot's badge, sortable by score
and filtered by band."""

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from retainops.clients.list_columns import ListColumn
from retainops.health.choices import Band
from retainops.health.models import HealthSnapshot


def _latest(field: str) -> Subquery:
    return Subquery(
        HealthSnapshot.objects.filter(client=OuterRef("pk")).order_by("-day").values(field)[:1]
    )


def annotate(clients: QuerySet[Any]) -> QuerySet[Any]:
    return clients.annotate(health_score=_latest("score"), health_band=_latest("band"))


def by_band(clients: QuerySet[Any], band: str) -> QuerySet[Any]:
    return clients.filter(health_band=band) if band in Band.values else clients


HEALTH_COLUMN = ListColumn(
    name="health",
    heading="Health",
    order=10,
    cell_template="health/_list_cell.html",
    annotate=annotate,
    sort_by="health_score",
    filter_label="Health",
    filter_choices=tuple(Band.choices),
    apply_filter=by_band,
)
