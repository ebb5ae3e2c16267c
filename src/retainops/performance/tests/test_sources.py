"""A metric source's saved column mapping, changed through the API: what it reads is
checked, bad values are named and nothing is written."""

import pytest

from retainops.performance.models import MetricSource

pytestmark = pytest.mark.django_db

MAPPING = {
    "date": "Day",
    "program": "Program ID",
    "service": "Line",
    "metrics": {"clicks": "Clicks"},
}


def test_an_administrator_saves_a_new_source_and_it_is_listed(api_as, administrator):
    answer = api_as(administrator).put(
        "/metric-sources/social-ads",
        {
            "name": "Social ads export",
            "mapping": MAPPING,
            "date_format": "%d/%m/%Y",
            "thousands": ".",
            "decimal": ",",
            "currency": "eur",
        },
    )

    assert answer.status_code == 200, answer.json()
    source = MetricSource.objects.get(key="social-ads")
    assert (source.mapping["metrics"], source.date_format, source.currency) == (
        {"clicks": "Clicks"},
        "%d/%m/%Y",
        "EUR",
    )
    listed = api_as(administrator).get("/metric-sources").json()
    assert "social-ads" in [row["key"] for row in listed]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_format": "no pattern"}, "date_format"),
        ({"thousands": ",", "decimal": ","}, "thousands"),
        ({"mapping": {**MAPPING, "metrics": None}}, "mapping"),
        ({"mapping": {**MAPPING, "metrics": {"visits": "Visits"}}}, "mapping.metrics.visits.[key]"),
    ],
)
def test_a_bad_source_is_named_and_nothing_is_written(api_as, administrator, change, field):
    body = {"name": "Social ads export", "mapping": MAPPING, **change}

    answer = api_as(administrator).put("/metric-sources/social-ads", body)

    assert answer.status_code == 422
    assert field in answer.json()["errors"], answer.json()
    assert not MetricSource.objects.filter(key="social-ads").exists()


def test_an_account_manager_may_not_change_a_source(api_as, account_manager):
    answer = api_as(account_manager).put(
        "/metric-sources/api", {"name": "Mine", "mapping": MAPPING}
    )

    assert answer.status_code == 403
    assert MetricSource.objects.get(key="api").name != "Mine"
