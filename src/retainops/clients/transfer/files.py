"""Reading an uploaded file into records: every row of the sheet, blank ones included.

A record's position in the list is its row number in the spreadsheet (counting
from 1), so the report can name the row a person sees when opening the file.
XLSX workbooks are read by tablib; CSV files by the csv module (see
`csv_records` for why).
"""

import codecs
import csv
import io
from typing import Any

import tablib

from retainops.clients.transfer.formats import CONTENT_TYPES

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class FileProblem(Exception):
    """The upload as a whole cannot be used; the message says why."""

    def __init__(self, message: str, column: str = "") -> None:
        super().__init__(message)
        self.column = column


def read_records(content: bytes, filename: str) -> list[list[Any]]:
    """Every row of the file, blank ones included, so that positions are row numbers."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in CONTENT_TYPES:
        raise FileProblem(
            f"Upload a .csv or .xlsx file; {filename or 'the file'!r} is neither "
            "(save older .xls workbooks as .xlsx first)."
        )
    if not content.strip():
        raise FileProblem("The file is empty.")
    # Checked before parsing: neither tablib nor the csv module limits what they read.
    if len(content) > MAX_IMPORT_BYTES:
        raise FileProblem(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it."
        )
    return csv_records(content) if extension == "csv" else xlsx_records(content)


def xlsx_records(content: bytes) -> list[list[Any]]:
    """The rows of the workbook's first sheet; openpyxl pads each to the sheet's width."""
    try:
        dataset = tablib.Dataset().load(content, format="xlsx", headers=False)
    except Exception as error:  # a damaged workbook fails in many ways inside openpyxl
        raise FileProblem("The file could not be read as an Excel (.xlsx) workbook.") from error
    return [list(record) for record in dataset]


def csv_records(content: bytes) -> list[list[Any]]:
    """CSV rows via the csv module rather than tablib's Dataset.load, which reads with the
    same csv module but drops empty lines (shifting the row numbers of every later row in
    the report) and refuses a row with more cells than the first (which we ignore)."""
    if content.startswith(b"PK\x03\x04"):
        raise FileProblem("This file is an Excel workbook; give it the .xlsx extension.")
    text = decode(content)
    first_line = text.split("\n", 1)[0]
    # Excel writes ';' where the decimal separator is ',', and tabs for "Text" files.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        return [list(record) for record in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        raise FileProblem(f"The CSV file could not be read: {error}.") from None


def decode(content: bytes) -> str:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 or Windows-1252 as Excel saves it."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem("The file is not readable text; save it as 'CSV UTF-8' and try again.")
