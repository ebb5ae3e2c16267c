"""Cells that are safe to hand to a spreadsheet program.

A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula, so a client named
`=HYPERLINK("http://…"&A1,"click")` would run when a colleague opens an export.
Every CSV the product writes goes through `csv_safe` (or `write_csv`): such a
text cell gets a leading apostrophe, which the spreadsheet shows as text and
our own import takes off again, so an export imports back unchanged. Numbers
and dates are left alone (a negative budget is a number, not a formula).
"""

import csv
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def csv_safe(value: Any) -> Any:
    """The value, with a text that a spreadsheet would run as a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return ESCAPE + value
    return value


def csv_safe_row(row: Sequence[Any]) -> list[Any]:
    return [csv_safe(value) for value in row]


def write_csv(out: _Writable, rows: Iterable[Sequence[Any]]) -> None:
    """Write rows as CSV with every formula-like text cell neutralised."""
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(csv_safe_row(row))


def unescape_imported(text: str) -> str:
    """Take off the apostrophe our exports put before a formula-like text."""
    if text.startswith(ESCAPE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
