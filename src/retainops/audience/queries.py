"""Reads of end-customer data for pages and for the apps above (health, portfolio).

- `data_sets_of(client)`: the client's data sets (Django rows).
- `segment_counts(data_set)`: {segment code: customers} of the last analysis.
- `customer_value_total(data_set)`: the summed expected value of the data set's
  customers over its horizon (None before a fitted analysis).
"""

from typing import Any

from django.db.models import QuerySet

from retainops.audience import analysis, warehouse
from retainops.audience.models import DataSet
from retainops.clients.queries import visible_clients


def visible_data_sets(user: Any) -> QuerySet[DataSet]:
    return DataSet.objects.filter(client__in=visible_clients(user)).select_related("client")


def data_sets_of(client: Any) -> QuerySet[DataSet]:
    return DataSet.objects.filter(client=client).order_by("name")


def segment_counts(data_set: DataSet) -> dict[str, int]:
    return {row["segment"]: row["customers"] for row in analysis.segment_summary(data_set.pk)}


def customer_value_total(data_set: DataSet) -> float | None:
    with warehouse.connect(read_only=True) as db:
        row = db.execute(
            "SELECT sum(expected_value) FROM scores WHERE data_set_id = ?", [data_set.pk]
        ).fetchall()[0]
    return float(row[0]) if row and row[0] is not None else None
