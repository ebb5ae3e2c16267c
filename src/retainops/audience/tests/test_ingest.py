"""Importing order files: all or nothing per file, once, with every bad row named."""

from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from retainops.audience import ingest, services, warehouse
from retainops.audience.choices import RunState
from retainops.audience.tests.conftest import HEADER, row


def _orders(data_set_id: int) -> list[tuple]:
    with warehouse.connect(read_only=True) as db:
        return db.execute(
            "SELECT order_id, line_no, quantity, amount, email_norm, phone_e164, record_key "
            "FROM orders WHERE data_set_id = ? ORDER BY order_id, line_no",
            [data_set_id],
        ).fetchall()


def test_a_csv_is_imported_normalised_with_lines_of_one_order(
    store, write_csv, import_path
) -> None:
    path = write_csv(
        "orders.csv",
        [
            row("A1", mail="Anna.Mueller+shop@GoogleMail.com"),
            row("A1", item="Bowl", total="12,50"),
            row("A2", phone="+49 30 7654321", mail=""),
        ],
    )
    run = import_path(store, path)
    assert run.state == RunState.SUCCEEDED
    assert (run.rows_read, run.rows_added, run.error_count) == (3, 3, 0)
    orders = _orders(store.data_set_id)
    assert [(o[0], o[1]) for o in orders] == [("A1", 1), ("A1", 2), ("A2", 1)]
    assert orders[0][4] == "annamueller@gmail.com"
    assert orders[0][5] == "+49301234567"
    assert str(orders[1][3]) == "12.50"
    assert orders[2][6] == f"{store.pk}:e:" or orders[2][6].startswith(f"{store.pk}:p:+4930")


def test_reimporting_a_file_adds_nothing_and_an_overlapping_export_only_the_new(
    store, write_csv, import_path
) -> None:
    first = write_csv("march.csv", [row("A1"), row("A2")])
    import_path(store, first)
    again = import_path(store, first)
    assert again.state == RunState.SUCCEEDED
    assert again.already_imported and again.rows_added == 0
    overlapping = write_csv(
        "march-and-april.csv", [row("A1"), row("A2"), row("A3", day="2026-04-01")]
    )
    later = import_path(store, overlapping)
    assert later.rows_added == 1
    assert len(_orders(store.data_set_id)) == 3


def test_bad_rows_are_named_by_file_line_and_column_and_nothing_is_written(
    store, write_csv, import_path
) -> None:
    path = write_csv(
        "bad.csv",
        [
            row("A1"),
            row("A2", day="2026-02-30"),
            row("A3", qty="-2"),
            row("A4", currency="EURO"),
            row("A5", total="lots"),
        ],
    )
    run = import_path(store, path)
    assert run.state == RunState.FAILED
    assert run.rows_added == 0 and run.error_count == 4
    found = {(e["line"], e["column"]) for e in run.errors}
    assert found == {(3, "Date"), (4, "Qty"), (5, "Currency"), (6, "Total")}
    messages = " ".join(e["message"] for e in run.errors)
    assert "negative" in messages and "'EURO'" in messages and "'2026-02-30'" in messages
    assert all(e["file"] == "bad.csv" for e in run.errors)
    assert _orders(store.data_set_id) == []
    assert not list((Path(ingest.staging_path(run.pk)).parent).glob("*.duckdb"))


def test_a_wrong_encoding_is_named_with_its_line_and_column(store, write_csv, import_path) -> None:
    path = write_csv("latin.csv", [row("A1", name="Jürgen Weiß")], encoding="latin-1")
    run = import_path(store, path)
    assert run.state == RunState.FAILED
    assert run.errors[0]["line"] == 2 and run.errors[0]["column"] == "Name"
    assert "utf-8" in run.errors[0]["message"]
    # The same file read as the encoding it is in imports.
    store.encoding = "latin-1"
    store.save()
    path.write_bytes(path.read_bytes())
    second = services.queue_path(by=None, source=store, path=path)
    assert services.run_import(second, analyse_after=False).state == RunState.SUCCEEDED
    assert _orders(store.data_set_id)[0][0] == "A1"


def test_a_column_missing_from_the_file_is_named(store, tmp_path, import_path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Order,Date\nA1,2026-01-01\n")
    run = import_path(store, path)
    assert run.state == RunState.FAILED
    assert "no column" in run.errors[0]["message"]


def test_xlsx_and_parquet_files_import_through_the_same_mapping(
    data_set, account_manager, tmp_path, import_path
) -> None:
    from retainops.audience.tests.conftest import MAPPING

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(row("X1"))
    sheet.append(row("X2", qty="3"))
    xlsx = tmp_path / "retailer.xlsx"
    workbook.save(xlsx)
    retailer = services.add_source(
        by=account_manager, data_set=data_set, name="Retailer", file_format="xlsx"
    )
    services.save_mapping(by=account_manager, source=retailer, mapping=MAPPING)
    assert import_path(retailer, xlsx).rows_added == 2

    parquet = tmp_path / "market.parquet"
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT 'P' || i AS \"Order\", DATE '2026-01-01' + (i % 300)::INTEGER AS "
        f'"Date", \'Lena Koch\' AS "Name", '
        f"'lena@gmx.de' AS \"Mail\", '' AS \"Phone\", 'Ringstr. 4, 04109 Leipzig' AS \"Address\", "
        f'\'Seeds\' AS "Item", 1 AS "Qty", 9.5 AS "Total", \'EUR\' AS "Currency" FROM '
        f"range(12000) t(i)) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    connection.close()
    market = services.add_source(
        by=account_manager, data_set=data_set, name="Marketplace", file_format="parquet"
    )
    services.save_mapping(by=account_manager, source=market, mapping=MAPPING)
    seen: list[tuple[int, int]] = []
    queued = services.queue_path(by=account_manager, source=market, path=parquet)
    run = services.run_import(
        queued, progress=lambda done, total: seen.append((done, total)), analyse_after=False
    )
    assert run.rows_added == 12000
    assert seen[-1] == (12000, 12000) and len(seen) >= 3  # progress after every chunk


def test_a_killed_import_leaves_nothing_and_runs_again(
    store, write_csv, monkeypatch, account_manager
) -> None:
    path = write_csv("big.csv", [row(f"B{i}") for i in range(12000)])
    queued = services.queue_path(by=account_manager, source=store, path=path)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process stops in the middle of the commit

    monkeypatch.setattr(ingest, "_commit", killed)
    with pytest.raises(KeyboardInterrupt):
        services.run_import(queued, analyse_after=False)
    queued.refresh_from_db()
    assert queued.state == RunState.RUNNING
    assert _orders(store.data_set_id) == []
    assert not ingest.staging_path(queued.pk).exists()
    monkeypatch.undo()
    # Another worker takes over once the run has gone quiet.
    from datetime import timedelta

    from django.utils import timezone

    type(queued).objects.filter(pk=queued.pk).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    report = services.sweep(now=timezone.now(), worker="second")
    assert report.imported == 1
    queued.refresh_from_db()
    assert queued.rows_added == 12000 and queued.claimed_by == "second"


def test_a_run_still_alive_is_not_taken_over(store, write_csv, account_manager) -> None:
    from django.utils import timezone

    queued = services.queue_path(
        by=account_manager, source=store, path=write_csv("a.csv", [row("A1")])
    )
    type(queued).objects.filter(pk=queued.pk).update(
        state=RunState.RUNNING, heartbeat_at=timezone.now()
    )
    queued.refresh_from_db()
    assert services.run_import(queued, worker="other").state == RunState.RUNNING
    assert _orders(store.data_set_id) == []


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"ordered_on": "Date", "amount": "Total"}, "order_id"),
        ({"order_id": "O", "ordered_on": "D", "amount": "T", "colour": "C"}, "colour"),
    ],
)
def test_a_mapping_without_required_fields_is_refused_naming_them(
    store, account_manager, mapping, field
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.save_mapping(by=account_manager, source=store, mapping=mapping)
    assert field in caught.value.message_dict
    assert store.mapping()["order_id"] == "Order"  # the saved one stands
