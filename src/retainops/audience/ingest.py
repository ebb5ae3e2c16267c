"""Reading an order file into a data set: all of it or none of it, once.

Steps of `import_file(run)`:
  1. Hash the file (SHA-256, streamed). A hash the data set has imported before
     adds nothing: the run succeeds with `already_imported`.
  2. Read it row by row in the source's format (CSV line by line in its declared
     encoding; XLSX with openpyxl in read-only mode; Parquet in batches through
     DuckDB), through the source's column mapping. Each row is checked and
     normalised (cleanse.py); a bad value is kept as an error naming the file, the
     line and the column, and reading goes on so every error is reported at once.
  3. Good rows go, a chunk at a time, to a staging file of their own
     (DATA_DIR/staging/run-<id>.duckdb), never to the agency's data file; the run
     row shows the progress after each chunk (and its heartbeat).
  4. With any error, the staging file is deleted and the run is refused: nothing
     of the file was written. Otherwise one DuckDB transaction on the agency's data
     file inserts the staged rows whose natural key (source, order id, line of the
     order) is new, and records the file's hash with the count.

A process killed at any point leaves the data file as it was before the
transaction of step 4 or after it: a staging file left behind is deleted when the
run starts again, and a run whose hash is already recorded reports what it added.
"""

import csv
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings

from retainops.audience import cleanse, warehouse
from retainops.audience.choices import REQUIRED_FIELDS, Field, FileFormat
from retainops.audience.models import Source

CHUNK_ROWS = 5000
MAX_ERRORS_KEPT = 200

# ISO 4217 codes in use (a price in anything else is refused, by name).
CURRENCIES = frozenset(
    [
        "AED",
        "ARS",
        "AUD",
        "BGN",
        "BRL",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CZK",
        "DKK",
        "EGP",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JPY",
        "KRW",
        "MAD",
        "MXN",
        "MYR",
        "NOK",
        "NZD",
        "PEN",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "UAH",
        "USD",
        "VND",
        "ZAR",
    ]
)

COLUMNS = (
    ("data_set_id", pa.int32()),
    ("source_id", pa.int32()),
    ("import_run_id", pa.int32()),
    ("order_id", pa.string()),
    ("line_no", pa.int32()),
    ("ordered_on", pa.date32()),
    ("customer_name", pa.string()),
    ("email", pa.string()),
    ("phone", pa.string()),
    ("address", pa.string()),
    ("item", pa.string()),
    ("quantity", pa.int32()),
    ("amount", pa.decimal128(14, 2)),
    ("currency", pa.string()),
    ("name_norm", pa.string()),
    ("first_name", pa.string()),
    ("last_name", pa.string()),
    ("email_norm", pa.string()),
    ("phone_e164", pa.string()),
    ("address_norm", pa.string()),
    ("postcode", pa.string()),
    ("record_key", pa.string()),
)
SCHEMA = pa.schema(list(COLUMNS))


@dataclass
class RowError:
    file: str
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


@dataclass
class Outcome:
    rows_read: int = 0
    rows_added: int = 0
    already_imported: bool = False
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_hash: str = ""

    def refuse(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)


class FileRefused(ValueError):
    """The file cannot be read at all (not the format, missing columns)."""


Progress = Callable[[int, int], None]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def staging_path(run_id: int) -> Path:
    return Path(settings.DATA_DIR) / "staging" / f"run-{run_id}.duckdb"


# Readers: (line, {column: value}) per data row --------------------------------------------


def count_rows(path: Path, file_format: str) -> int:
    """How many data rows the file holds (for the progress bar), cheaply."""
    if file_format == FileFormat.CSV:
        with path.open("rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 1))
            ends_open = handle.read(1) not in (b"\n", b"")
        return max(0, lines + (1 if ends_open else 0) - 1)
    if file_format == FileFormat.PARQUET:
        connection = duckdb.connect()
        try:
            row = connection.execute(
                f"SELECT count(*) FROM read_parquet('{_quoted(path)}')"
            ).fetchall()[0]
        finally:
            connection.close()
        return int(row[0]) if row else 0
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        return max(0, (workbook.active.max_row or 1) - 1)
    finally:
        workbook.close()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _csv_rows(
    path: Path, source: Source, outcome: Outcome, name: str
) -> Iterator[tuple[int, dict]]:
    """Decoded line by line, so a byte the encoding cannot read is named with its line
    and, by where it falls, its column."""
    line_number = 0
    problems: dict[int, str] = {}

    def lines() -> Iterator[str]:
        nonlocal line_number
        with path.open("rb") as handle:
            for raw in handle:
                line_number += 1
                try:
                    yield raw.decode(source.encoding)
                except UnicodeDecodeError as error:
                    problems[line_number] = (
                        f"bytes that are not {source.encoding} ({raw[error.start : error.end]!r})"
                    )
                    yield raw.decode(source.encoding, errors="replace")
                except LookupError:
                    raise FileRefused(f"{source.encoding!r} is not an encoding.") from None

    reader = csv.reader(lines(), delimiter=source.delimiter or ",")
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise FileRefused(f"{name} is empty.") from None
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(header, values, strict=False))
        if line_number in problems:
            column = next((h for h, v in row.items() if "\ufffd" in v), "")
            outcome.refuse(RowError(name, line_number, column, problems.pop(line_number)))
            continue
        yield reader.line_num, row
    if not header:
        raise FileRefused(f"{name} has no header row.")


def _xlsx_rows(path: Path, name: str) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file it cannot read
        raise FileRefused(f"{name} is not an Excel workbook ({error}).") from None
    try:
        rows = workbook.active.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for number, values in enumerate(rows, start=2):
            if values is None or all(v in (None, "") for v in values):
                continue
            yield number, dict(zip(header, values, strict=False))
    finally:
        workbook.close()


def _parquet_rows(path: Path, name: str) -> Iterator[tuple[int, dict]]:
    connection = duckdb.connect()
    try:
        try:
            cursor = connection.execute(f"SELECT * FROM read_parquet('{_quoted(path)}')")
        except duckdb.Error as error:
            raise FileRefused(f"{name} is not a Parquet file ({error}).") from None
        header = [d[0] for d in cursor.description or []]
        number = 1
        while batch := cursor.fetchmany(CHUNK_ROWS):
            for values in batch:
                number += 1
                yield number, dict(zip(header, values, strict=True))
    finally:
        connection.close()


def header_of(path: Path, source: Source) -> list[str]:
    """The column names of a file, for mapping its columns."""
    name = path.name
    if source.file_format == FileFormat.CSV:
        with path.open("rb") as handle:
            first = handle.readline().decode(source.encoding, errors="replace")
        return [
            h.strip().lstrip("\ufeff")
            for h in next(csv.reader([first], delimiter=source.delimiter or ","), [])
        ]
    if source.file_format == FileFormat.PARQUET:
        connection = duckdb.connect()
        try:
            cursor = connection.execute(f"SELECT * FROM read_parquet('{_quoted(path)}') LIMIT 0")
            return [d[0] for d in cursor.description or []]
        except duckdb.Error as error:
            raise FileRefused(f"{name} is not a Parquet file ({error}).") from None
        finally:
            connection.close()
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
    except Exception as error:
        raise FileRefused(f"{name} is not an Excel workbook ({error}).") from None
    try:
        sheet: Any = workbook.active
        header_row = next(sheet.iter_rows(values_only=True), ())
        return [str(h).strip() for h in header_row if h is not None]
    finally:
        workbook.close()


# Checking one value ------------------------------------------------------------------------


def parse_date(value: Any, date_format: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise ValueError("no date")
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            raise ValueError(f"{text!r} is not a date written {date_format}") from None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def parse_amount(value: Any) -> Decimal:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = re.sub(r"[\s€$£]", "", str(value or ""))
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        elif "," in text:
            text = text.replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    if amount < 0:
        raise ValueError(f"the amount {amount} is negative (refunds are not orders)")
    return amount.quantize(Decimal("0.01"))


def parse_quantity(value: Any) -> int:
    if value is None or str(value).strip() == "":
        return 1
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a quantity") from None
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole quantity")
    if number < 0:
        raise ValueError(f"the quantity {int(number)} is negative")
    return int(number)


def parse_currency(value: Any, default: str) -> str:
    code = str(value or "").strip().upper() or default.upper()
    if not code:
        raise ValueError("no currency (map a currency column or set the source's currency)")
    if code not in CURRENCIES:
        raise ValueError(f"{code!r} is not a known currency code (ISO 4217)")
    return code


def record_key(source_id: int, email: str, phone: str, name: str, postcode: str, order: str) -> str:
    """How one source knows a person: by e-mail, else phone, else name and postcode."""
    if email:
        return f"{source_id}:e:{email}"
    if phone:
        return f"{source_id}:p:{phone}"
    if name:
        return f"{source_id}:n:{name}|{postcode}"
    return f"{source_id}:o:{order}"


# One file ----------------------------------------------------------------------------------


class _Stage:
    """The run's staging file: rows appended a chunk at a time."""

    def __init__(self, run_id: int) -> None:
        self.path = staging_path(run_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        self.connection = duckdb.connect(str(self.path))
        columns = ", ".join(f"{n} {_duck_type(t)}" for n, t in COLUMNS)
        self.connection.execute(f"CREATE TABLE staging ({columns})")
        self.columns: dict[str, list[Any]] = {n: [] for n, _ in COLUMNS}
        self.size = 0

    def add(self, row: dict[str, Any]) -> None:
        for name in self.columns:
            self.columns[name].append(row[name])
        self.size += 1
        if self.size >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.size:
            return
        chunk = pa.Table.from_pydict(self.columns, schema=SCHEMA)
        self.connection.register("chunk", chunk)
        self.connection.execute("INSERT INTO staging SELECT * FROM chunk")
        self.connection.unregister("chunk")
        self.columns = {n: [] for n in self.columns}
        self.size = 0

    def close(self) -> None:
        self.connection.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        Path(f"{self.path}.wal").unlink(missing_ok=True)


def _duck_type(kind: pa.DataType) -> str:
    return {
        pa.int32(): "INTEGER",
        pa.string(): "VARCHAR",
        pa.date32(): "DATE",
        pa.decimal128(14, 2): "DECIMAL(14, 2)",
    }[kind]


def read_file(
    path: Path,
    *,
    source: Source,
    run_id: int,
    display_name: str,
    progress: Progress | None = None,
) -> Outcome:
    """Steps 1-4 for one file; the returned outcome says what was written."""
    outcome = Outcome(file_hash=file_hash(path))
    data_set_id = source.data_set_id
    with warehouse.connect() as db:
        seen = db.execute(
            "SELECT import_run_id, rows_added FROM imported_files "
            "WHERE data_set_id = ? AND file_hash = ?",
            [data_set_id, outcome.file_hash],
        ).fetchone()
    if seen is not None:
        # Imported before (or by this very run, before a crash): nothing to add.
        outcome.already_imported = seen[0] != run_id
        outcome.rows_added = 0 if outcome.already_imported else int(seen[1])
        return outcome
    mapping = source.mapping()
    missing = [f.label for f in REQUIRED_FIELDS if f not in mapping]
    if missing:
        raise FileRefused(f"The source's mapping has no column for: {', '.join(missing)}.")
    columns_in_file = set(header_of(path, source))
    absent = [c for c in mapping.values() if c not in columns_in_file]
    if absent:
        outcome.refuse(
            RowError(
                display_name, 1, absent[0], f"the file has no column {', '.join(map(repr, absent))}"
            )
        )
        return outcome
    total = count_rows(path, source.file_format)
    if source.file_format == FileFormat.CSV:
        rows = _csv_rows(path, source, outcome, display_name)
    elif source.file_format == FileFormat.XLSX:
        rows = _xlsx_rows(path, display_name)
    else:
        rows = _parquet_rows(path, display_name)
    stage = _Stage(run_id)
    try:
        lines_of_order: dict[str, int] = {}
        for number, raw in rows:
            outcome.rows_read += 1
            row = _checked(number, raw, mapping, source, outcome, display_name)
            if row is not None:
                count = lines_of_order.get(row["order_id"], 0) + 1
                lines_of_order[row["order_id"]] = count
                row.update(
                    data_set_id=data_set_id,
                    source_id=source.pk,
                    import_run_id=run_id,
                    line_no=count,
                )
                stage.add(row)
            if progress is not None and outcome.rows_read % CHUNK_ROWS == 0:
                progress(outcome.rows_read, max(total, outcome.rows_read))
        stage.flush()
        if progress is not None:
            progress(outcome.rows_read, max(total, outcome.rows_read))
        if outcome.error_count:
            stage.discard()
            return outcome
        stage.close()
        outcome.rows_added = _commit(stage.path, data_set_id, run_id, outcome.file_hash)
        stage.discard()
        return outcome
    except BaseException:
        stage.discard()
        raise


def _checked(
    number: int, raw: dict, mapping: dict[str, str], source: Source, outcome: Outcome, name: str
) -> dict[str, Any] | None:
    def value(field_name: str) -> Any:
        column = mapping.get(field_name)
        return raw.get(column) if column else None

    before = outcome.error_count
    row: dict[str, Any] = {}

    def check(field_name: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(value(field_name))
        except ValueError as error:
            outcome.refuse(RowError(name, number, mapping.get(field_name, field_name), str(error)))
            return None

    order_id = str(value(Field.ORDER_ID) or "").strip()
    if not order_id:
        outcome.refuse(RowError(name, number, mapping[Field.ORDER_ID], "no order id"))
    row["order_id"] = order_id
    row["ordered_on"] = check(Field.ORDERED_ON, lambda v: parse_date(v, source.date_format))
    row["quantity"] = check(Field.QUANTITY, parse_quantity)
    row["amount"] = check(Field.AMOUNT, parse_amount)
    row["currency"] = check(Field.CURRENCY, lambda v: parse_currency(v, source.default_currency))
    if outcome.error_count != before:
        return None
    texts = {
        f: str(value(f) or "").strip()
        for f in (Field.CUSTOMER_NAME, Field.EMAIL, Field.PHONE, Field.ADDRESS, Field.ITEM)
    }
    full, first, last = cleanse.normalise_name(texts[Field.CUSTOMER_NAME])
    email = cleanse.normalise_email(texts[Field.EMAIL])
    phone = cleanse.normalise_phone(texts[Field.PHONE], source.default_country)
    address, postcode = cleanse.normalise_address(texts[Field.ADDRESS])
    row.update(
        customer_name=texts[Field.CUSTOMER_NAME],
        email=texts[Field.EMAIL],
        phone=texts[Field.PHONE],
        address=texts[Field.ADDRESS],
        item=texts[Field.ITEM],
        name_norm=full,
        first_name=first,
        last_name=last,
        email_norm=email,
        phone_e164=phone,
        address_norm=address,
        postcode=postcode,
        record_key=record_key(source.pk, email, phone, full, postcode, order_id),
    )
    return row


def _commit(stage: Path, data_set_id: int, run_id: int, digest: str) -> int:
    """Step 4: the staged rows with a new natural key, and the file's hash, in one
    transaction on the agency's data file."""
    with warehouse.connect() as db:
        db.execute(f"ATTACH '{_quoted(stage)}' AS stage (READ_ONLY)")
        try:
            db.execute("BEGIN TRANSACTION")
            before = _count(db, data_set_id)
            db.execute(
                """
                INSERT INTO orders
                SELECT s.* FROM stage.staging s
                WHERE NOT EXISTS (
                    SELECT 1 FROM orders o
                    WHERE o.data_set_id = s.data_set_id AND o.source_id = s.source_id
                      AND o.order_id = s.order_id AND o.line_no = s.line_no
                )
                """
            )
            added = _count(db, data_set_id) - before
            db.execute(
                "INSERT INTO imported_files VALUES (?, ?, ?, ?)",
                [data_set_id, digest, run_id, added],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.execute("DETACH stage")
    return added


def _count(db: duckdb.DuckDBPyConnection, data_set_id: int) -> int:
    row = db.execute("SELECT count(*) FROM orders WHERE data_set_id = ?", [data_set_id]).fetchall()[
        0
    ]
    return int(row[0]) if row else 0
