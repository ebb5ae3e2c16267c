"""The API (the purchase model on any customers, data sets and their parts) and the
pages: permissions, empty states, the upload-map-import journey."""

import csv
from pathlib import Path

import pytest
from django.test import Client as Browser
from django.urls import reverse

from retainops.audience import services
from retainops.audience.choices import RunState
from retainops.audience.models import DataSet, ImportRun
from retainops.audience.tests.conftest import row

CDNOW = (
    Path(__file__).resolve().parents[2]
    / "stats"
    / "tests"
    / "data"
    / "cdnow"
    / "cdnow_customers_summary_with_transactions.csv"
)


def _cdnow(with_value: bool) -> list[dict]:
    with CDNOW.open() as handle:
        found = []
        for r in csv.DictReader(handle):
            entry = {"frequency": int(r["x"]), "recency": float(r["t_x"]), "T": float(r["T"])}
            if with_value:
                entry["monetary_value"] = float(r["zbar"])
            found.append(entry)
    return found


def test_bgnbd_endpoint_fits_the_cdnow_sample(api_as, account_manager) -> None:
    answer = api_as(account_manager).post("/analytics/bgnbd", {"customers": _cdnow(False)})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["r"] == pytest.approx(0.243, abs=0.002)
    assert body["alpha"] == pytest.approx(4.414, abs=0.005)
    assert body["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert body["customers"] is None and body["p"] is None


def test_bgnbd_endpoint_with_t_and_monetary_value_answers_per_customer(
    api_as, account_manager
) -> None:
    answer = api_as(account_manager).post("/analytics/bgnbd", {"customers": _cdnow(True), "t": 39})
    body = answer.json()
    assert body["p"] == pytest.approx(6.25, abs=0.01) and body["gamma"] == pytest.approx(
        15.44, abs=0.02
    )
    assert len(body["customers"]) == 2357
    first = body["customers"][0]  # x=2, t_x=30.43, T=38.86: the paper's example
    assert first["expected_purchases"] == pytest.approx(1.226, abs=0.002)
    assert 0 < first["p_alive"] <= 1 and first["expected_value"] > 0


@pytest.mark.parametrize(
    ("customers", "field"),
    [
        ([{"frequency": 0, "recency": 0, "T": 5}], "customers"),
        ([{"frequency": 2, "recency": 3, "T": -1}], "customers.0.T"),
        ([], "customers"),
    ],
)
def test_bgnbd_endpoint_names_what_cannot_be_fitted(
    api_as, account_manager, customers, field
) -> None:
    answer = api_as(account_manager).post("/analytics/bgnbd", {"customers": customers})
    assert answer.status_code == 422
    assert field in answer.json()["errors"]


def test_data_sets_and_sources_through_the_api(
    api_as, account_manager, catalogue_client, south_account_manager
) -> None:
    caller = api_as(account_manager)
    made = caller.post("/audience/data-sets", {"client": catalogue_client.pk, "name": "Shop"})
    assert made.status_code == 201
    pk = made.json()["id"]
    source = caller.post(
        f"/audience/data-sets/{pk}/sources",
        {"name": "Store", "mapping": {"order_id": "O", "ordered_on": "D", "amount": "A"}},
    )
    assert source.status_code == 201 and source.json()["mapping"]["amount"] == "A"
    bad = caller.post(
        f"/audience/data-sets/{pk}/sources", {"name": "Other", "mapping": {"order_id": "O"}}
    )
    assert bad.status_code == 422 and "amount" in bad.json()["errors"]
    # A mapping is the request's JSON body (not a query parameter), replaced as a whole.
    remapped = caller.put(
        f"/audience/sources/{source.json()['id']}/mapping",
        {"order_id": "Order", "ordered_on": "Date", "amount": "Total"},
    )
    assert remapped.status_code == 200 and remapped.json()["mapping"]["amount"] == "Total"
    assert caller.get(f"/audience/data-sets/{pk}/segments").status_code == 200
    # Another unit's analyst does not see it.
    other = api_as(south_account_manager)
    assert other.get(f"/audience/data-sets/{pk}/sources").status_code == 404
    assert (
        other.post("/audience/data-sets", {"client": catalogue_client.pk, "name": "X"}).status_code
        == 422
    )


def test_people_without_the_capability_are_refused(api_as, service_agent, catalogue_client) -> None:
    answer = api_as(service_agent).post(
        "/audience/data-sets", {"client": catalogue_client.pk, "name": "Shop"}
    )
    assert answer.status_code == 403


def test_the_pages_upload_map_import_and_show_segments(
    store, account_manager, write_csv, data_dir
) -> None:
    browser = Browser()
    browser.force_login(account_manager)
    data_set = store.data_set
    empty = browser.get(reverse("audience:detail", args=[data_set.pk]))
    assert b"No customers yet" in empty.content
    path = write_csv(
        "upload.csv",
        [row("U1"), row("U2", day="2026-05-01"), row("U3", mail="lena@gmx.de", name="Lena Koch")],
    )
    with path.open("rb") as handle:
        uploaded = browser.post(reverse("audience:upload", args=[store.pk]), {"file": handle})
    assert uploaded.status_code == 302
    mapping_page = browser.get(uploaded["Location"])
    assert mapping_page.status_code == 200 and b"map-amount" in mapping_page.content
    stored = mapping_page.context["file"]
    post = {
        "file": stored,
        "name": "upload.csv",
        "order_id": "Order",
        "ordered_on": "Date",
        "amount": "Total",
        "currency": "Currency",
        "customer_name": "Name",
        "email": "Mail",
        "quantity": "Qty",
    }
    queued = browser.post(reverse("audience:mapping", args=[store.pk]), post)
    assert queued.status_code == 302
    run = ImportRun.objects.get()
    assert run.state == RunState.QUEUED
    polled = browser.get(reverse("audience:run", args=[run.pk]), headers={"HX-Request": "true"})
    assert b'hx-trigger="every 2s"' in polled.content
    from django.utils import timezone

    services.drain(now=timezone.now(), worker="test")
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED and run.rows_added == 3
    done = browser.get(reverse("audience:run", args=[run.pk]), headers={"HX-Request": "true"})
    assert b"hx-trigger" not in done.content and b"3 order lines added" in done.content
    segments = browser.get(reverse("audience:segments", args=[data_set.pk]))
    assert (
        segments.status_code == 200
        and b"<svg" in segments.content
        and b"One-time" in segments.content
    )
    for name in ("customers", "merges", "advice"):
        assert browser.get(reverse(f"audience:{name}", args=[data_set.pk])).status_code == 200
    export = browser.get(reverse("audience:export", args=[data_set.pk, "email"]))
    assert export.status_code == 200 and b"customer_id" in b"".join(export.streaming_content)  # type: ignore[attr-defined]


def test_a_mapping_missing_the_amount_is_shown_on_the_form(
    store, account_manager, write_csv
) -> None:
    browser = Browser()
    browser.force_login(account_manager)
    path = write_csv("upload.csv", [row("U1")])
    with path.open("rb") as handle:
        uploaded = browser.post(reverse("audience:upload", args=[store.pk]), {"file": handle})
    stored = browser.get(uploaded["Location"]).context["file"]
    answer = browser.post(
        reverse("audience:mapping", args=[store.pk]),
        {"file": stored, "order_id": "Order", "ordered_on": "Date"},
    )
    assert answer.status_code == 400 and b"amount" in answer.content
    assert not ImportRun.objects.exists()


def test_another_units_data_set_is_not_found(data_set: DataSet, south_account_manager) -> None:
    browser = Browser()
    browser.force_login(south_account_manager)
    assert browser.get(reverse("audience:detail", args=[data_set.pk])).status_code == 404


def test_the_list_shows_an_empty_state(account_manager) -> None:
    browser = Browser()
    browser.force_login(account_manager)
    assert b"No data set yet" in browser.get(reverse("audience:list")).content
