"""Reading an uploaded file into records: every row of the sheet, blank ones included.

A record's position in the list is its row number in the spreadsheet (counting
from 1), so the report can name the row a person sees when opening the file.
XLSX workbooks are read by tablib; CSV files by the csv module (see
`csv_records` for why).
"""

import codecs
import csv
import io
import zipfile
from typing import Any

import tablib
from django.conf import settings

from retainops.clients.transfer.formats import CONTENT_TYPES
from retainops.core.spreadsheets import unescape_imported


class FileProblem(Exception):
    """The upload as a whole cannot be used; the message says why.

    `too_large` marks a file refused for its size (the API answers 413 for it).
    """

    def __init__(self, message: str, column: str = "", *, too_large: bool = False) -> None:
        super().__init__(message)
        self.column = column
        self.too_large = too_large


def check_upload_size(size: int | None) -> None:
    """Refuse an upload over IMPORT_MAX_BYTES before reading it into memory."""
    limit = settings.IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise FileProblem(f"The file is larger than {_megabytes(limit)}; split it.", too_large=True)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def extension_of(filename: str) -> str:
    """The file's type from its name: csv or xlsx; FileProblem for anything else."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in CONTENT_TYPES:
        raise FileProblem(
            f"Upload a .csv or .xlsx file; {filename or 'the file'!r} is neither "
            "(save older .xls workbooks as .xlsx first)."
        )
    return extension


def check_before_reading(content: bytes, filename: str) -> str:
    """What is known without parsing: the type, that there is something, its size, and
    for a workbook its zip directory (a decompression bomb). The extension, if good."""
    extension = extension_of(filename)
    if not content.strip():
        raise FileProblem("The file is empty.")
    # Checked before parsing: neither tablib nor the csv module limits what they read.
    check_upload_size(len(content))
    if extension == "xlsx":
        check_archive(content)
    return extension


def read_records(content: bytes, filename: str) -> list[list[Any]]:
    """Every row of the file, blank ones included, so that positions are row numbers."""
    extension = check_before_reading(content, filename)
    records = csv_records(content) if extension == "csv" else xlsx_records(content)
    if len(records) > settings.IMPORT_MAX_ROWS + 1:  # the header row is not counted
        raise FileProblem(
            f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows; split it.", too_large=True
        )
    return records


def xlsx_records(content: bytes) -> list[list[Any]]:
    """The rows of the workbook's first sheet; openpyxl pads each to the sheet's width."""
    check_archive(content)
    try:
        dataset = tablib.Dataset().load(content, format="xlsx", headers=False)
    except Exception as error:  # a damaged workbook fails in many ways inside openpyxl
        raise FileProblem("The file could not be read as an Excel (.xlsx) workbook.") from error
    return [list(record) for record in dataset]


def check_archive(content: bytes) -> None:
    """Refuse a workbook that would unpack to far more than it weighs (a decompression
    bomb), from the sizes its zip directory declares, before any part is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise FileProblem("The file could not be read as an Excel (.xlsx) workbook.") from error
    limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    if unpacked > limit:
        raise FileProblem(
            f"The workbook unpacks to {_megabytes(unpacked)}, more than the "
            f"{_megabytes(limit)} allowed; save a smaller sheet or use CSV.",
            too_large=True,
        )
    ratio = unpacked / max(len(content), 1)
    if ratio > settings.IMPORT_MAX_COMPRESSION_RATIO:
        raise FileProblem(
            f"The workbook unpacks to {ratio:.0f} times its size; a real sheet does not "
            "compress that much, so it is refused.",
            too_large=True,
        )


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
    return _parse_csv(text, delimiter)


def _parse_csv(text: str, delimiter: str) -> list[list[Any]]:
    """The records, strictly: broken quoting is named with the line where it starts,
    rather than swallowing the rest of the file into one cell."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    records: list[list[Any]] = []
    last_line = 0
    try:
        for record in reader:
            records.append([unescape_imported(cell) for cell in record])
            last_line = reader.line_num
    except csv.Error as error:
        line = last_line + 1
        if "unexpected end of data" in str(error):
            raise FileProblem(
                f'Line {line} opens a quoted cell (") that is never closed, so the rest of '
                "the file would be read as one cell; close the quote or remove it."
            ) from None
        raise FileProblem(
            f"Line {line} has broken quoting ({error}); a quote inside a quoted cell is "
            'written twice ("").'
        ) from None
    return records


def decode(content: bytes) -> str:
    """Text of a CSV: UTF-8 (with or without BOM), or UTF-16 with its BOM as Excel's
    "Unicode text" saves it. Anything else is refused with the first bad byte's line:
    guessing a legacy code page turns names into mojibake without a word."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise FileProblem(
                "The file says it is UTF-16 but is not; save it as 'CSV UTF-8'."
            ) from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise FileProblem(
            f"The file is not UTF-8 text (byte 0x{content[error.start]:02X} on line {line}); "
            "save it as 'CSV UTF-8 (comma delimited)' and try again."
        ) from None
