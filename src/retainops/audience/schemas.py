"""Shapes of the end-customer data API."""

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field as Pydantic

from retainops.core.schemas import MAX_COUNT, Id


class CustomerSummaryIn(Schema):
    frequency: int = Pydantic(ge=0, le=MAX_COUNT)
    recency: float = Pydantic(ge=0)
    T: float = Pydantic(gt=0)
    monetary_value: float | None = Pydantic(default=None, ge=0)


class BgNbdIn(Schema):
    customers: list[CustomerSummaryIn] = Pydantic(min_length=1, max_length=2_000_000)
    t: float | None = Pydantic(default=None, ge=0, description="Horizon, in the unit of T.")


class CustomerForecastOut(Schema):
    expected_purchases: float
    p_alive: float
    expected_value: float | None = None


class BgNbdOut(Schema):
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    p: float | None = None
    q: float | None = None
    gamma: float | None = None
    customers: list[CustomerForecastOut] | None = None


class DataSetIn(Schema):
    client: Id
    name: str = Pydantic(min_length=1, max_length=120)
    currency: str = "EUR"
    match_threshold: float = 0.9


class DataSetOut(Schema):
    id: int
    client_id: int
    name: str
    currency: str
    match_threshold: float
    analysed_at: datetime | None


class OrderSourceIn(Schema):
    name: str = Pydantic(min_length=1, max_length=120)
    kind: str = "store"
    file_format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str = ""
    default_country: str = "DE"
    default_currency: str = ""
    mapping: dict[str, str] = {}


class SourceOut(Schema):
    id: int
    data_set_id: int
    name: str
    kind: str
    file_format: str
    mapping: dict[str, str]

    @staticmethod
    def resolve_mapping(obj: Any) -> dict[str, str]:
        return obj.mapping()


class ImportRunOut(Schema):
    id: int
    source_id: int
    file_name: str
    state: str
    rows_total: int
    rows_read: int
    rows_added: int
    already_imported: bool
    error_count: int
    errors: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None


class SegmentOut(Schema):
    segment: str
    label: str
    customers: int
    revenue: float
    mean_expected_value: float | None


class ChannelPlanOut(Schema):
    channel: str
    label: str
    contacts: int
    expected_responders: float
    expected_revenue: float
    cost: float
    roi: float | None


class RuleIn(Schema):
    name: str
    position: int = Pydantic(10, ge=0, le=10_000)
    segment: str = ""
    max_recent_orders: int | None = Pydantic(None, ge=0, le=MAX_COUNT)
    min_expected_value: float | None = None
    max_expected_value: float | None = None
    min_p_alive: float | None = None
    channel: str


class RuleOut(RuleIn):
    id: int


class CustomerOut(Schema):
    customer_id: str
    name: str | None
    segment: str
    orders: int
    revenue: float
    last_order: date
    r_score: int
    f_score: int
    m_score: int
    expected_purchases: float | None
    p_alive: float | None
    expected_value: float | None
