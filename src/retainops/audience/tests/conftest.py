"""Fixtures for end-customer data: a data file of each test's own, a catalogue client
in North with a data set and a CSV source mapped, and helpers to write order files."""

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from retainops.audience import services
from retainops.audience.models import DataSet, ImportRun, Source
from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, User

HEADER = ["Order", "Date", "Name", "Mail", "Phone", "Address", "Item", "Qty", "Total", "Currency"]
MAPPING = {
    "order_id": "Order",
    "ordered_on": "Date",
    "customer_name": "Name",
    "email": "Mail",
    "phone": "Phone",
    "address": "Address",
    "item": "Item",
    "quantity": "Qty",
    "amount": "Total",
    "currency": "Currency",
}


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    with override_settings(DATA_DIR=tmp_path / "data", AUDIENCE_LOCK_WAIT_SECONDS=1):
        yield tmp_path / "data"


@pytest.fixture
def catalogue_client(north: BusinessUnit) -> Client:
    return ClientFactory.create(name="Gartenhaus Versand", business_unit=north)


@pytest.fixture
def data_set(catalogue_client: Client, account_manager: User) -> DataSet:
    return services.create_data_set(by=account_manager, client=catalogue_client, name="Orders")


@pytest.fixture
def store(data_set: DataSet, account_manager: User) -> Source:
    source = services.add_source(by=account_manager, data_set=data_set, name="Own store")
    services.save_mapping(by=account_manager, source=source, mapping=MAPPING)
    return source


def row(
    order: str,
    day: str = "2026-03-02",
    name: str = "Anna Müller",
    mail: str = "anna@web.de",
    phone: str = "030 1234567",
    address: str = "Hauptstraße 3, 10115 Berlin",
    item: str = "Blanket",
    qty: str = "1",
    total: str = "49.90",
    currency: str = "EUR",
) -> list[str]:
    return [order, day, name, mail, phone, address, item, qty, total, currency]


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, rows: list[list[str]], encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def import_path(account_manager: User) -> Callable[..., ImportRun]:
    def run(source: Source, path: Path, analyse: bool = False) -> ImportRun:
        queued = services.queue_path(by=account_manager, source=source, path=path)
        return services.run_import(queued, worker="test", analyse_after=analyse)

    return run
