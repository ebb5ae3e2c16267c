"""The end-customer data: one embedded DuckDB file for the agency, beside the
transactional database.

Orders are many and read in aggregate (RFM over millions of rows), so they live
in DuckDB, not in PostgreSQL; Django keeps only the definitions (data sets,
sources, mappings, import runs, merge decisions, advice rules). The SQL here is
plain enough to move to a warehouse engine later.

DuckDB lets one process write a file at a time. `connect()` opens the file for
the length of one piece of work and, when another process holds it, waits and
tries again for up to `AUDIENCE_LOCK_WAIT_SECONDS` before telling the person the
data is busy.

Tables (every one carries `data_set_id`):
- `orders`: one row per order line, as imported and normalised, with the
  `record_key` naming the person as that source knows them; unique on the
  natural key (data set, source, order id, line).
- `imported_files`: the hash of every file imported, written in the same
  transaction as its orders, so a file is imported once.
- `records`: each source's people, normalised (what identity resolution reads).
- `identities`: record -> customer, written by identity resolution.
- `links`: the pairs that joined records, with how (exact key or probability).
- `scores`: per customer, RFM and the purchase model's outputs.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from django.conf import settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    data_set_id INTEGER NOT NULL,
    source_id INTEGER NOT NULL,
    import_run_id INTEGER NOT NULL,
    order_id VARCHAR NOT NULL,
    line_no INTEGER NOT NULL,
    ordered_on DATE NOT NULL,
    customer_name VARCHAR,
    email VARCHAR,
    phone VARCHAR,
    address VARCHAR,
    item VARCHAR,
    quantity INTEGER NOT NULL,
    amount DECIMAL(14, 2) NOT NULL,
    currency VARCHAR NOT NULL,
    name_norm VARCHAR,
    first_name VARCHAR,
    last_name VARCHAR,
    email_norm VARCHAR,
    phone_e164 VARCHAR,
    address_norm VARCHAR,
    postcode VARCHAR,
    record_key VARCHAR NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS orders_natural_key
    ON orders (data_set_id, source_id, order_id, line_no);
CREATE TABLE IF NOT EXISTS imported_files (
    data_set_id INTEGER NOT NULL,
    file_hash VARCHAR NOT NULL,
    import_run_id INTEGER NOT NULL,
    rows_added INTEGER NOT NULL,
    PRIMARY KEY (data_set_id, file_hash)
);
CREATE TABLE IF NOT EXISTS identities (
    data_set_id INTEGER NOT NULL,
    record_key VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    PRIMARY KEY (data_set_id, record_key)
);
CREATE TABLE IF NOT EXISTS links (
    data_set_id INTEGER NOT NULL,
    left_key VARCHAR NOT NULL,
    right_key VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    probability DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    data_set_id INTEGER NOT NULL,
    customer_id VARCHAR NOT NULL,
    name VARCHAR,
    email VARCHAR,
    phone VARCHAR,
    address VARCHAR,
    first_order DATE,
    last_order DATE,
    orders INTEGER,
    orders_recent INTEGER,
    revenue DOUBLE,
    recency_days INTEGER,
    r_score INTEGER,
    f_score INTEGER,
    m_score INTEGER,
    segment VARCHAR,
    expected_purchases DOUBLE,
    p_alive DOUBLE,
    expected_spend DOUBLE,
    expected_value DOUBLE,
    PRIMARY KEY (data_set_id, customer_id)
);
"""


class WarehouseBusy(RuntimeError):
    """Another process holds the data file for longer than we wait."""


def path() -> Path:
    return Path(settings.DATA_DIR) / "audience.duckdb"


@contextmanager
def connect(*, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The agency's data file, created with its tables on first use."""
    file = path()
    file.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.AUDIENCE_LOCK_WAIT_SECONDS
    while True:
        try:
            if read_only and not file.exists():
                read_only = False
            connection = duckdb.connect(str(file), read_only=read_only)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise WarehouseBusy(
                    "The customer data is busy with another import; try again in a minute."
                ) from error
            time.sleep(0.2)
    try:
        if not read_only:
            connection.execute(SCHEMA)
        yield connection
    finally:
        connection.close()


def forget_data_set(data_set_id: int) -> None:
    """Remove every row of a data set (when the data set is deleted)."""
    with connect() as db:
        db.execute("BEGIN")
        for table in ("orders", "imported_files", "identities", "links", "scores"):
            db.execute(f"DELETE FROM {table} WHERE data_set_id = ?", [data_set_id])
        db.execute("COMMIT")
