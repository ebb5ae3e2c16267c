"""End-customer data in a real browser: the account manager uploads a store's order
file, maps its columns, the import runs (here through the worker's service, in the
test's process) and the segments page shows the customers it found."""

import csv
import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import Page, expect

from retainops.audience import services
from retainops.audience.choices import RunState
from retainops.audience.models import ImportRun, Source
from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = ["Bestellnr", "Datum", "Kunde", "Mail", "Telefon", "Anschrift", "Artikel", "Menge"]
HEADER += ["Summe", "Waehrung"]


@pytest.fixture
def store(reference_data: None, settings, tmp_path: Path) -> Source:
    """Amy, account manager in North, her catalogue client with a data set and a store
    source not mapped yet; the data file lives in the test's own directory."""
    settings.DATA_DIR = tmp_path / "data"
    settings.AUDIENCE_LOCK_WAIT_SECONDS = 5
    grant = importlib.import_module("retainops.audience.migrations.0002_grant_capability")
    grant.grant(django_apps, None)
    north = BusinessUnitFactory.create(code="north", name="North Media")
    amy = UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    client = ClientFactory.create(name="Gartenhaus Versand", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, user=amy, role=Role.objects.get(code="account_manager")
    )
    data_set = services.create_data_set(by=amy, client=client, name="Orders")
    return services.add_source(by=amy, data_set=data_set, name="Own store")


def order_file(path: Path) -> Path:
    """Three customers: Anna buys three times (once written a little differently),
    Lena and Jonas once each."""
    rows = [
        [
            "A1",
            "2025-06-02",
            "Anna Müller",
            "anna@web.de",
            "030 1234567",
            "Hauptstraße 3, 10115 Berlin",
        ],
        [
            "A2",
            "2025-11-20",
            "Anna Müller",
            "anna@web.de",
            "030 1234567",
            "Hauptstraße 3, 10115 Berlin",
        ],
        ["A3", "2026-02-14", "Anna Mueller", "anna@web.de", "", "Hauptstr. 3, 10115 Berlin"],
        ["L1", "2026-01-09", "Lena Koch", "lena@gmx.de", "", "Ringstraße 4, 04109 Leipzig"],
        ["J1", "2025-03-30", "Jonas Weber", "jonas@posteo.de", "", "Birkenweg 9, 28195 Bremen"],
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number, (order, day, name, mail, phone, address) in enumerate(rows):
            writer.writerow(
                [order, day, name, mail, phone, address, "Blanket", "1", f"{40 + number}.90", "EUR"]
            )
    return path


def test_upload_a_file_map_its_columns_and_see_the_segments(
    page: Page, live_server, store: Source, tmp_path: Path
) -> None:
    sign_in(page, live_server.url, "amy_am", "pass-word-1")
    page.goto(f"{live_server.url}/audience/sources/{store.pk}/")
    expect(page.get_by_text("No mapping yet")).to_be_visible()
    page.get_by_label(re.compile("Order file")).set_input_files(order_file(tmp_path / "store.csv"))
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Map the columns of store.csv")).to_be_visible()
    for label, column in (
        ("Order id", "Bestellnr"),
        ("Order date", "Datum"),
        ("Customer name", "Kunde"),
        ("E-mail", "Mail"),
        ("Phone", "Telefon"),
        ("Postal address", "Anschrift"),
        ("Item", "Artikel"),
        ("Quantity", "Menge"),
        ("Amount", "Summe"),
        ("Currency", "Waehrung"),
    ):
        page.get_by_label(label, exact=True).select_option(column)
    page.get_by_role("button", name="Save the mapping and import").click()

    run = ImportRun.objects.get()
    assert run.state == RunState.QUEUED
    assert store.mapping()["amount"] == "Summe"
    services.drain(now=timezone.now(), worker="browser-test")
    run.refresh_from_db()
    assert (run.state, run.rows_added) == (RunState.SUCCEEDED, 5)
    page.reload()
    expect(page.get_by_text("5 order lines added")).to_be_visible()

    page.goto(f"{live_server.url}/audience/{store.data_set_id}/segments")
    segments = page.locator("main")
    expect(segments.get_by_text("One-time").first).to_be_visible()
    expect(segments.locator("svg").first).to_be_visible()
    page.goto(f"{live_server.url}/audience/{store.data_set_id}/customers")
    expect(page.get_by_text("anna@web.de")).to_have_count(1)
