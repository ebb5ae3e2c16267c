"""Identity resolution: which records of which sources are the same person.

Steps of `resolve(data_set_id, threshold, splits, merges)`:
  1. Records: each source's people as they appear on its orders (one per
     `record_key`), with their normalised name, e-mail, phone and address.
  2. Exact keys: two records with the same e-mail, the same E.164 phone, or the
     same full name at the same address are one person.
  3. Probabilistic linkage with Splink on DuckDB: candidate pairs share a postcode,
     an e-mail, a phone or the full name (a typo or a swapped name still meets
     itself by postcode), compared on first and last name (swaps caught by Splink's
     forename-surname comparison), e-mail, phone and address; m and u
     probabilities trained by expectation maximisation, and every pair at or above
     the analyst's match threshold joins.
  4. The analyst's decisions: a record split off is joined by nothing; a merge
     joins two records whatever the scores said.
  5. Connected components of the links are the customers (union-find): a
     customer's id is its smallest record key. The identities and the links, with
     how each was found, are written to DuckDB for the merges page.

Splink needs enough records to learn from; below `MIN_RECORDS_FOR_SPLINK` (or if
its training cannot converge on the data) only the exact keys and the analyst's
merges join records, and the outcome says so.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from retainops.audience import warehouse

MIN_RECORDS_FOR_SPLINK = 200
logger = logging.getLogger(__name__)

RECORD_FIELDS = (
    "record_key",
    "source_id",
    "name_norm",
    "first_name",
    "last_name",
    "email_norm",
    "phone_e164",
    "address_norm",
    "postcode",
)


@dataclass(frozen=True)
class Link:
    left: str
    right: str
    method: str  # "email", "phone", "name and address", "probabilistic", "analyst"
    probability: float


@dataclass
class Resolution:
    records: int = 0
    customers: int = 0
    exact_links: int = 0
    probabilistic_links: int = 0
    used_splink: bool = False
    note: str = ""
    identities: dict[str, str] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)


class _Components:
    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def join(self, left: str, right: str) -> None:
        a, b = self.find(left), self.find(right)
        if a != b:
            if b < a:
                a, b = b, a
            self.parent[b] = a


def records_of(db: duckdb.DuckDBPyConnection, data_set_id: int) -> pa.Table:
    """Step 1: one row per record key, its most recent normalised details."""
    return db.sql(
        """
        SELECT record_key,
               arg_max(source_id, ordered_on) AS source_id,
               arg_max(name_norm, ordered_on) AS name_norm,
               arg_max(first_name, ordered_on) AS first_name,
               arg_max(last_name, ordered_on) AS last_name,
               arg_max(email_norm, ordered_on) AS email_norm,
               arg_max(phone_e164, ordered_on) AS phone_e164,
               arg_max(address_norm, ordered_on) AS address_norm,
               arg_max(postcode, ordered_on) AS postcode
        FROM orders WHERE data_set_id = $data_set GROUP BY record_key ORDER BY record_key
        """,
        params={"data_set": data_set_id},
    ).to_arrow_table()


def exact_links(records: pa.Table) -> list[Link]:
    """Step 2: records sharing a non-empty key, chained to the first that has it."""
    found: list[Link] = []
    columns = {name: records.column(name).to_pylist() for name in RECORD_FIELDS}
    keys = columns["record_key"]
    for method, values in (
        ("email", columns["email_norm"]),
        ("phone", columns["phone_e164"]),
        (
            "name and address",
            [
                f"{n}|{a}" if n and a else ""
                for n, a in zip(columns["name_norm"], columns["address_norm"], strict=True)
            ],
        ),
    ):
        first: dict[str, str] = {}
        for key, value in zip(keys, values, strict=True):
            if not value:
                continue
            if value in first:
                found.append(Link(first[value], key, method, 1.0))
            else:
                first[value] = key
    return found


def probabilistic_links(records: pa.Table, threshold: float) -> list[Link]:
    """Step 3 with Splink on an in-memory DuckDB; pairs at or above `threshold`."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    prepared = records.select(list(RECORD_FIELDS)).rename_columns(["unique_id", *RECORD_FIELDS[1:]])
    # Splink reads missing values as NULL, not as "" (which would match "").
    connection = duckdb.connect()
    try:
        connection.execute("SET enable_progress_bar = false")
        connection.register("raw_records", prepared)
        connection.execute(
            "CREATE TABLE people AS SELECT unique_id, "
            + ", ".join(f"nullif({c}, '') AS {c}" for c in RECORD_FIELDS[2:])
            + " FROM raw_records"
        )
        api = DuckDBAPI(connection)
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("postcode"),
                block_on("email_norm"),
                block_on("phone_e164"),
                block_on("first_name", "last_name"),
            ],
            comparisons=[
                cl.ForenameSurnameComparison("first_name", "last_name"),
                cl.EmailComparison("email_norm"),
                cl.ExactMatch("phone_e164"),
                cl.JaroWinklerAtThresholds("address_norm", [0.95, 0.85]),
            ],
            retain_intermediate_calculation_columns=False,
        )
        linker = Linker(
            api.table_to_splink_dataframe("people", "people"), settings, log_level=logging.ERROR
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("email_norm"), block_on("phone_e164")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=200_000, seed=7)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("postcode"), fix_u_probabilities=True
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("first_name", "last_name"), fix_u_probabilities=True
        )
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        rows = connection.execute(
            f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}"
        ).fetchall()
    finally:
        connection.close()
    return [Link(str(left), str(right), "probabilistic", float(p)) for left, right, p in rows]


def resolve_records(
    records: pa.Table,
    *,
    threshold: float,
    splits: Iterable[str] = (),
    merges: Iterable[tuple[str, str]] = (),
    use_splink: bool = True,
) -> Resolution:
    """Steps 2 to 5 on records (a table with RECORD_FIELDS)."""
    keys = records.column("record_key").to_pylist()
    outcome = Resolution(records=len(keys))
    links = exact_links(records)
    outcome.exact_links = len(links)
    if use_splink and len(keys) >= MIN_RECORDS_FOR_SPLINK:
        try:
            found = probabilistic_links(records, threshold)
        except Exception as error:  # Splink's training can fail on odd data; say so
            logger.warning("probabilistic linkage skipped: %s", error)
            outcome.note = f"Probabilistic matching was skipped ({error}); exact keys only."
        else:
            outcome.used_splink = True
            outcome.probabilistic_links = len(found)
            links.extend(found)
    elif use_splink:
        outcome.note = f"Fewer than {MIN_RECORDS_FOR_SPLINK} records: matched on exact keys only."
    known = set(keys)
    apart = set(splits)
    links = [link for link in links if link.left not in apart and link.right not in apart]
    links.extend(
        Link(left, right, "analyst", 1.0)
        for left, right in merges
        if left in known and right in known
    )
    components = _Components(keys)
    for link in links:
        components.join(link.left, link.right)
    outcome.identities = {key: components.find(key) for key in keys}
    outcome.customers = len(set(outcome.identities.values()))
    outcome.links = links
    return outcome


def resolve(
    data_set_id: int,
    *,
    threshold: float,
    splits: Iterable[str] = (),
    merges: Iterable[tuple[str, str]] = (),
    use_splink: bool = True,
) -> Resolution:
    """Resolve a data set's records and write its identities and links."""
    with warehouse.connect() as db:
        records = records_of(db, data_set_id)
    outcome = resolve_records(
        records, threshold=threshold, splits=splits, merges=merges, use_splink=use_splink
    )
    identities = pa.table(
        {
            "data_set_id": pa.array([data_set_id] * len(outcome.identities), pa.int32()),
            "record_key": list(outcome.identities),
            "customer_id": list(outcome.identities.values()),
        }
    )
    links = pa.table(
        {
            "data_set_id": pa.array([data_set_id] * len(outcome.links), pa.int32()),
            "left_key": [link.left for link in outcome.links],
            "right_key": [link.right for link in outcome.links],
            "method": [link.method for link in outcome.links],
            "probability": pa.array([link.probability for link in outcome.links], pa.float64()),
        }
    )
    with warehouse.connect() as db:
        db.execute("BEGIN TRANSACTION")
        db.execute("DELETE FROM identities WHERE data_set_id = ?", [data_set_id])
        db.execute("DELETE FROM links WHERE data_set_id = ?", [data_set_id])
        db.register("new_identities", identities)
        db.register("new_links", links)
        db.execute("INSERT INTO identities SELECT * FROM new_identities")
        db.execute("INSERT INTO links SELECT * FROM new_links")
        db.execute("COMMIT")
    return outcome


def merged_customers(data_set_id: int, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """Customers made of more than one record, with their records and the links that
    joined them, largest first (the merges page)."""
    with warehouse.connect(read_only=True) as db:
        rows = db.execute(
            """
            WITH sizes AS (
                SELECT customer_id, count(*) AS records FROM identities
                WHERE data_set_id = ? GROUP BY customer_id HAVING count(*) > 1
            )
            SELECT customer_id, records FROM sizes
            ORDER BY records DESC, customer_id LIMIT ? OFFSET ?
            """,
            [data_set_id, limit, offset],
        ).fetchall()
        found = []
        for customer_id, size in rows:
            members = db.execute(
                """
                SELECT i.record_key, any_value(o.source_id), any_value(o.customer_name),
                       any_value(o.email), any_value(o.phone), any_value(o.address), count(*)
                FROM identities i JOIN orders o
                  ON o.data_set_id = i.data_set_id AND o.record_key = i.record_key
                WHERE i.data_set_id = ? AND i.customer_id = ?
                GROUP BY i.record_key ORDER BY i.record_key
                """,
                [data_set_id, customer_id],
            ).fetchall()
            joined = db.execute(
                """
                SELECT l.left_key, l.right_key, l.method, l.probability FROM links l
                JOIN identities i ON i.data_set_id = l.data_set_id AND i.record_key = l.left_key
                WHERE l.data_set_id = ? AND i.customer_id = ?
                """,
                [data_set_id, customer_id],
            ).fetchall()
            found.append(
                {
                    "customer_id": customer_id,
                    "size": size,
                    "records": [
                        dict(
                            zip(
                                (
                                    "record_key",
                                    "source_id",
                                    "name",
                                    "email",
                                    "phone",
                                    "address",
                                    "orders",
                                ),
                                m,
                                strict=True,
                            )
                        )
                        for m in members
                    ],
                    "links": [
                        {"left": a, "right": b, "method": m, "probability": p}
                        for a, b, m, p in joined
                    ],
                }
            )
        return found


def merged_count(data_set_id: int) -> int:
    with warehouse.connect(read_only=True) as db:
        row = db.execute(
            "SELECT count(*) FROM (SELECT customer_id FROM identities WHERE data_set_id = ? "
            "GROUP BY customer_id HAVING count(*) > 1)",
            [data_set_id],
        ).fetchall()[0]
    return int(row[0]) if row else 0
