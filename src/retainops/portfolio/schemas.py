"""The API's request and answer schemas for the lifetime value and the portfolio."""

from ninja import Field, Schema


class SbgIn(Schema):
    alive: list[float] = Field(..., description="Customers alive at the start of period 0, 1, ...")
    project_to: int = Field(12, ge=0, le=1000)
    discount_rate: float = Field(0.10, description="Per period, strictly between 0 and 1")


class SbgOut(Schema):
    a: float
    b: float
    log_likelihood: float
    survival: list[float]
    retention: list[float]
    derl: list[float]


class SaveRateOut(Schema):
    label: str
    cases: int
    saved: int
    rate: float | None
    low: float
    high: float
    few: bool
    revenue_kept: str


class SavesOut(Schema):
    overall: SaveRateOut
    by_reason: list[SaveRateOut]
    by_offer: list[SaveRateOut]


class PortfolioMonthOut(Schema):
    month: str
    unit: str
    clients_at_start: int
    left: int
    logo_churn: float | None
    mrr_start: str
    mrr_end: str
    gross_revenue_retention: float | None
    net_revenue_retention: float | None


class PortfolioOut(Schema):
    clients: int
    months: list[PortfolioMonthOut]
    cohort_retention: dict[str, list[float | None]]
    sale_to_live_days: dict[str, float]
    approval_by_step_hours: dict[str, float]
    submission_to_approval_days: float | None


class ClientValueOut(Schema):
    client_id: int
    valued: bool
    reason: str = ""
    segment: str = ""
    a: float | None = None
    b: float | None = None
    renewals: int | None = None
    mrr: str | None = None
    discount_rate_per_term: float | None = None
    derl: float | None = None
    residual_revenue: str | None = None
