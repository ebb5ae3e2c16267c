"""Ids typed into a query string, a form or a file: one that is not an id, or is past the
database's integer range, is refused or ignored with a clear answer, never a 500 (SQLite
cannot compare with an integer past 2**63 - 1, and `int("²")` raises)."""

import csv
import io

import pytest

from retainops.core.schemas import MAX_ID, parse_id
from retainops.core.testing import ApiCaller
from retainops.performance.models import Kpi

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", None),
        ("-3", None),
        ("²", None),
        ("1e3", None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("", None),
        (None, None),
    ],
)
def test_an_id_is_ascii_digits_within_the_integer_range(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"/voice/?days={HUGE}",
        "/voice/?days=²",
        f"/drops/?unit={HUGE}",
        f"/staffing/?unit={HUGE}",
        "/drops/?unit=²",
    ],
)
def test_pages_with_an_impossible_number_still_answer(client, administrator, url):
    client.force_login(administrator)

    assert client.get(url).status_code == 200


def test_the_voice_figures_name_a_client_id_that_is_not_one(administrator):
    response = ApiCaller(administrator).get("/voice/figures", clients=f"1,{HUGE},x")

    assert response.status_code == 422
    assert response.json()["errors"] == {"clients": [f"Not a client id: {HUGE}, x."]}


def test_a_kpi_posted_with_a_service_that_is_not_an_id_is_refused(client, administrator):
    client.force_login(administrator)
    before = Kpi.objects.count()

    response = client.post(
        "/performance/kpis/",
        {"key": "calls", "name": "Calls", "formula": "clicks", "unit": "count", "services": ["x"]},
    )

    assert response.status_code == 400
    assert Kpi.objects.count() == before


def test_the_portfolio_export_neutralises_formula_like_unit_names(client, administrator):
    from retainops.clients.testing import ClientFactory
    from retainops.core.testing import BusinessUnitFactory

    unit = BusinessUnitFactory.create(code="evil", name='=HYPERLINK("http://x.example","y")')
    ClientFactory.create(business_unit=unit)
    client.force_login(administrator)

    response = client.get("/portfolio/portfolio.csv")

    assert response.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]
    assert not any(cell.startswith("=") for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
