"""The API's request and answer schemas for performance data and KPIs."""

from datetime import date
from typing import Any

from ninja import Schema

from retainops.core.schemas import Id


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
