"""Fuzzing the importers: whatever bytes arrive, an answer and never a partial write.

Hypothesis builds CSV text (quotes, separators, formula cells, odd encodings) and raw
bytes, and workbooks with mutated cells; every run must end in a report, and a
report with problems must leave the database as it was.
"""

import io

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retainops.clients import transfer
from retainops.clients.models import Client, Contract
from retainops.clients.tests.test_transfer import CLIENT_HEADER
from retainops.core.testing import UserFactory

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["north", "south", "=1+1", '"', '""', ";", "\t", "\r\n", "2026-13-40", "-5"]),
)


@pytest.fixture
def importer(north):
    return UserFactory.create(username="dana_dm", roles=["department_manager"], units=[north])


def _import_and_check(importer, content: bytes, filename: str, kind: str = "clients") -> None:
    before = (Client.objects.count(), Contract.objects.count())
    report = transfer.run_import(
        kind=kind, content=content, filename=filename, by=importer, dry_run=False
    )
    if not report.ok:
        assert (Client.objects.count(), Contract.objects.count()) == before
        assert all(problem.message for problem in report.errors)


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=16), max_size=6), sep=st.sampled_from(",;\t")
)
def test_any_csv_text_gets_a_report_and_no_partial_write(importer, rows, sep) -> None:
    lines = [sep.join(CLIENT_HEADER), *(sep.join(row) for row in rows)]
    for encoding in ("utf-8", "utf-16", "latin-1"):
        content = "\n".join(lines).encode(encoding, errors="replace")
        _import_and_check(importer, content, "clients.csv")
        _import_and_check(importer, content, "contracts.csv", kind="contracts")


@pytest.mark.django_db
@FUZZ
@given(content=st.binary(max_size=2048), extension=st.sampled_from(["csv", "xlsx"]))
def test_any_bytes_get_a_report_and_no_partial_write(importer, content, extension) -> None:
    _import_and_check(importer, content, f"upload.{extension}")


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(
        st.lists(
            # A workbook cannot hold control characters: openpyxl refuses them when writing.
            st.one_of(
                st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
                st.integers(min_value=-(2**40), max_value=2**40),
                st.floats(allow_nan=True),
                st.dates(),
            ),
            max_size=16,
        ),
        max_size=5,
    )
)
def test_any_workbook_cells_get_a_report_and_no_partial_write(importer, rows) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(CLIENT_HEADER)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    _import_and_check(importer, out.getvalue(), "clients.xlsx")
