"""Shapes of the drops API."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from retainops.core.schemas import MAX_COUNT, Id
from retainops.drops.choices import AnswerChannel, DropChannel, Gate


class ErlangCIn(Schema):
    contacts: float = Field(description="Contacts arriving in the interval")
    interval_minutes: float = 30
    aht_seconds: float
    target_answer_seconds: float
    service_level: float = Field(description="Share answered within the target, 0.8 for 80 %")
    max_occupancy: float
    shrinkage: float


class ErlangCOut(Schema):
    traffic_erlangs: float
    agents: int
    scheduled_agents: int
    service_level: float
    occupancy: float
    probability_of_waiting: float
    average_speed_of_answer_seconds: float


class DropIn(Schema):
    program: Id
    name: str
    channel: DropChannel
    drop_at: datetime
    audience_size: int = Field(ge=0, le=MAX_COUNT)
    expected_response_rate: float
    readiness_lead_days: int = Field(14, ge=0, le=MAX_COUNT)


class GateOut(Schema):
    gate: Gate
    label: str
    open: bool
    test_call_at: datetime | None
    passed_at: datetime | None


class DropOut(Schema):
    id: int
    name: str
    program: int
    client: int
    channel: DropChannel
    drop_at: datetime
    audience_size: int
    expected_response_rate: float
    state: str
    owner: str
    gates: list[GateOut]
    override_reason: str


class GateIn(Schema):
    note: str = ""


class ReadyIn(Schema):
    override_reason: str = ""


class CsvIn(Schema):
    csv: str = Field(description="The CSV text, header row first")


class OutcomeIn(Schema):
    conversions: int | None = Field(None, ge=0, le=MAX_COUNT)
    sales: Decimal | None = None
    customers_acquired: int | None = Field(None, ge=0, le=MAX_COUNT)


class ResultOut(Schema):
    drop_id: int
    name: str
    channel: str
    drop_at: datetime
    actual_contacts: int
    forecast_contacts: float
    response_rate: float | None
    mape: dict[str, float | None]
    conversions: int | None
    sales: Decimal | None
    customers_acquired: int | None


class ProfileIn(Schema):
    half_life_hours: float
    span_hours: int = Field(ge=0, le=MAX_COUNT)
    phone: float
    chat: float
    email: float


class ProfileOut(ProfileIn):
    channel: DropChannel
    revision: int
    adjusted_from: int


class ShiftIn(Schema):
    email: str
    name: str = ""
    starts_at: datetime
    ends_at: datetime


class ShiftOut(Schema):
    id: int
    agent: str
    starts_at: datetime
    ends_at: datetime


class IntervalOut(Schema):
    starts_at: datetime
    contacts: dict[AnswerChannel, float]
    agents: int
    needed: int
    scheduled: int
    gap: int


class WeekOut(Schema):
    starts_at: datetime
    intervals: list[IntervalOut]


class PackIn(Schema):
    program: Id
    scripts: str = ""
    scenarios: str = ""
    faqs: str = ""


class PackOut(Schema):
    id: int
    program: int
    version: int
    acknowledged_by: list[str]


class AckIn(Schema):
    agent_email: str
