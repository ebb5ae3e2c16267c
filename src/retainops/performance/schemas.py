"""The API's request and answer schemas for performance data and KPIs."""

from datetime import date
from typing import Any

from ninja import Schema
from pydantic import Field

from retainops.core.schemas import Id
from retainops.performance.choices import BaseMetric

Heading = Field(min_length=1, max_length=200)


class MetricIn(Schema):
    program: Id
    service: str
    date: str
    metric: str
    value: Any
    currency: str = ""


class MetricsIn(Schema):
    source: str
    rows: list[MetricIn]
    dry_run: bool = False


class ProblemOut(Schema):
    row: int | None
    column: str
    message: str


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool


class StandingOut(Schema):
    service: str
    kpi: str
    unit: str
    target: float
    actual: float | None
    attainment: float | None
    trend: str
    over_promise: bool


class SummaryOut(Schema):
    program: int
    as_of: date
    kpis: list[StandingOut]


class MetricSourceMappingIn(Schema):
    """Which column of the file holds what: either `metrics` (one column per base metric)
    or `metric` and `value` (one row per metric)."""

    date: str = Heading
    program: str = Heading
    service: str = Heading
    metrics: dict[BaseMetric, str] | None = None
    metric: str | None = Field(None, max_length=200)
    value: str | None = Field(None, max_length=200)
    currency: str | None = Field(None, max_length=200)


class MetricSourceIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    mapping: MetricSourceMappingIn
    date_format: str = Field("%Y-%m-%d", min_length=2, max_length=40)
    thousands: str = Field(",", max_length=1)
    decimal: str = Field(".", min_length=1, max_length=1)
    currency: str = Field("", max_length=3)


class MetricSourceOut(Schema):
    key: str
    name: str
    mapping: dict[str, Any]
    date_format: str
    thousands: str
    decimal: str
    currency: str
