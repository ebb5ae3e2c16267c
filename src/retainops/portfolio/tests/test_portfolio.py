"""Which saves work and the portfolio page: rates by offer with Wilson intervals, logo
churn and revenue retention by month, the CSV, the API, and the empty state."""

import csv
import io
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client as Browser

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.portfolio import metrics, saves

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = saves.wilson(8, 10)  # 0.8 of 10: 0.490 to 0.943 at 95%
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert saves.wilson(0, 0) == (0.0, 1.0)


def test_save_rate_by_offer_counts_each_offer_made(
    book: list[Client], request_for: Callable[..., object], account_manager: User
) -> None:
    request_for(book[1], "cancellation", "saved", credit="300")
    request_for(book[2], "cancellation", "lost", credit="300")
    request_for(book[4], "contract_change", "saved_with_change", lines=("budget",))
    request_for(book[7], "cancellation", "paused")
    request_for(book[8], "retention", "saved")
    report = saves.saves_report(account_manager)
    offers = {rate.label: rate for rate in report.by_offer}
    assert (offers["Credit"].cases, offers["Credit"].saved) == (2, 1)
    assert offers["Budget change"].saved == 1 and offers["Pause"].saved == 1
    assert offers["No offer"].cases == 1
    assert report.overall.cases == 5 and report.overall.saved == 4
    assert all(rate.few for rate in report.by_offer)
    assert report.by_reason and sum(r.cases for r in report.by_reason) == 5


def test_logo_churn_and_revenue_retention_by_month(
    book: list[Client], account_manager: User
) -> None:
    with time_machine.travel(at(TODAY), tick=False):
        data = metrics.portfolio(account_manager, months=12)
    rows = {row.month: row for row in data.months if row.unit == "All units"}
    # 2025-12: one client (sold 2025-01, left 2025-12-10) leaves; 1,000 of MRR goes.
    november = rows["2025-12"]
    assert november.left == 1
    assert november.logo_churn == pytest.approx(1 / november.clients_at_start)
    assert november.mrr_start - november.mrr_end == 1000
    assert november.gross_retention == pytest.approx(float(november.mrr_end / november.mrr_start))
    assert data.sale_to_live["All units"] == 0.0
    assert data.curves and all(c[0] == 1.0 for c in data.curves.values())


def test_page_csv_and_api(
    book: list[Client], account_manager: User, client: Browser, api_as: Callable[..., object]
) -> None:
    client.force_login(account_manager)
    with time_machine.travel(at(TODAY), tick=False):
        page = client.get("/portfolio/").content.decode()
        exported = client.get("/portfolio/portfolio.csv")
        answer = api_as(account_manager).get("/portfolio")  # type: ignore[attr-defined]
        saves_answer = api_as(account_manager).get("/portfolio/saves")  # type: ignore[attr-defined]
    assert 'id="cohorts"' in page and "<svg" in page and 'id="health-distribution"' in page
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == metrics.CSV_HEADER and len(rows) > 12
    assert answer.status_code == 200 and answer.json()["clients"] == 40
    assert saves_answer.status_code == 200


def test_someone_without_a_unit_sees_the_empty_state(
    book: list[Client], outsider: User, client: Browser
) -> None:
    client.force_login(outsider)
    page = client.get("/portfolio/").content.decode()
    assert 'id="portfolio-empty"' in page


def test_the_portfolio_needs_a_sign_in(
    client: Browser, api_as: Callable[..., object], db: None
) -> None:
    assert client.get("/portfolio/").status_code == 302
    assert api_as(None).get("/portfolio").status_code == 401  # type: ignore[attr-defined]
