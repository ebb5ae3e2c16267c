"""The health API's request and answer schemas."""

from datetime import date, datetime
from typing import Any

from ninja import Schema


class MeasureIo(Schema):
    signal: str
    weight: float
    good: float
    bad: float


class VersionIn(Schema):
    green_from: float
    amber_from: float
    measures: list[MeasureIo]
    note: str = ""


class ScorecardVersionOut(Schema):
    number: int
    green_from: float
    amber_from: float
    note: str
    created_at: datetime
    measures: list[MeasureIo]


class ScorecardOut(Schema):
    id: int
    name: str
    business_unit_id: int | None
    versions: list[ScorecardVersionOut]


class SnapshotOut(Schema):
    day: date
    score: float
    band: str
    version: int
    contributions: list[dict[str, Any]]
    risk: float | None
    risk_reasons: list[dict[str, Any]]


class RiskOut(Schema):
    client_id: int
    risk: float | None
    reasons: list[dict[str, Any]]
    day: date | None
    model_id: int | None


class ModelOut(Schema):
    id: int
    state: str
    trained_at: datetime
    window_start: date | None
    window_end: date | None
    test_from: date | None
    chosen: str
    features: list[str]
    figures: dict[str, Any]
    rows: int
    events: int
    error: str


class SignalOut(Schema):
    key: str
    label: str
    unit: str
    direction: str
