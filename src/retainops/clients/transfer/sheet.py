"""An upload read as a sheet: the header found, and the data rows keyed by column."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from retainops.clients.transfer.cells import as_text
from retainops.clients.transfer.files import FileProblem, read_records
from retainops.clients.transfer.headings import check_required_columns, map_columns


@dataclass
class Sheet:
    """The data rows of an upload, by spreadsheet row number, with cells keyed by column."""

    rows: list[tuple[int, dict[str, Any]]]
    ignored: list[str]


def read_sheet(content: bytes, filename: str, kind: str, by: Any) -> Sheet:
    """The first filled row is the header; every later filled row is data, numbered
    by its place in the file so that blank rows above it still count."""
    records = read_records(content, filename)
    numbered = [(number, record) for number, record in enumerate(records, 1) if _filled(record)]
    if not numbered:
        raise FileProblem("The file is empty.")
    (_header_number, header), data = numbered[0], numbered[1:]
    columns, ignored = map_columns(header, kind)
    check_required_columns(columns, kind, by)
    if not data:
        raise FileProblem("The file has column names but no rows.")
    rows = [
        (number, {column: record[i] if i < len(record) else None for column, i in columns.items()})
        for number, record in data
    ]
    return Sheet(rows=rows, ignored=ignored)


def _filled(record: Sequence[Any]) -> bool:
    return any(as_text(cell) for cell in record)
