"""RFM scores, named segments and the purchase model's outputs per customer.

Steps of `score(data_set)`:
  1. Customers: orders grouped by the customer their record resolved to (a record
     not yet resolved is its own customer); an order is its order id, so the lines
     of one order count once.
  2. RFM in DuckDB: recency (days since the last order, as of the data set's last
     order day), frequency (orders) and monetary (revenue). Scores 1-5 are
     quintiles (NTILE), or the data set's own four cut-offs per measure.
  3. Named segments, the first that fits: new (first order in the last 90 days),
     lapsed (nothing for a year), champions (R, F and M all 4 or more), at risk
     (bought more than once, recency score 2 or less), one-time, repeat.
  4. BG/NBD and Gamma-Gamma (retainops.stats.bgnbd) in weeks: expected orders in
     the horizon, P(alive), expected spend per order and their product, the
     expected value. A data set the models cannot fit keeps its RFM and segments,
     and the reason is returned.
  5. Written to the `scores` table in one transaction.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from retainops.audience import warehouse
from retainops.audience.choices import Segment
from retainops.stats import StatsInputError

NEW_DAYS = 90
LAPSED_DAYS = 365

CUSTOMER_SQL = """
WITH lines AS (
    SELECT coalesce(i.customer_id, o.record_key) AS customer_id, o.*
    FROM orders o
    LEFT JOIN identities i ON i.data_set_id = o.data_set_id AND i.record_key = o.record_key
    WHERE o.data_set_id = $data_set AND o.ordered_on <= $as_of
),
per_order AS (
    SELECT customer_id, source_id, order_id, min(ordered_on) AS ordered_on,
           sum(amount)::DOUBLE AS amount
    FROM lines GROUP BY customer_id, source_id, order_id
),
per_customer AS (
    SELECT customer_id,
           min(ordered_on) AS first_order,
           max(ordered_on) AS last_order,
           count(*)::INTEGER AS orders,
           count(DISTINCT ordered_on)::INTEGER AS order_days,
           count(*) FILTER (WHERE ordered_on > $as_of - $recent_days)::INTEGER AS orders_recent,
           sum(amount) AS revenue
    FROM per_order GROUP BY customer_id
),
contact AS (
    SELECT customer_id,
           arg_max(customer_name, ordered_on) AS name,
           arg_max(nullif(email, ''), ordered_on) AS email,
           arg_max(nullif(phone, ''), ordered_on) AS phone,
           arg_max(address, ordered_on) AS address
    FROM lines GROUP BY customer_id
)
SELECT c.*, k.name, k.email, k.phone, k.address,
       ($as_of - c.last_order)::INTEGER AS recency_days
FROM per_customer c JOIN contact k USING (customer_id)
"""


def _score_sql(cutoffs: dict[str, list[float]]) -> str:
    """R, F and M scores: quintiles, or CASE on the configured cut-offs."""

    def measure(name: str, column: str, lower_is_better: bool) -> str:
        edges = cutoffs.get(name)
        if edges:
            if lower_is_better:
                cases = " ".join(
                    f"WHEN {column} <= {float(e)} THEN {5 - i}" for i, e in enumerate(edges)
                )
            else:
                cases = " ".join(
                    f"WHEN {column} <= {float(e)} THEN {i + 1}" for i, e in enumerate(edges)
                )
            return f"CASE {cases} ELSE {1 if lower_is_better else 5} END"
        order = "DESC" if lower_is_better else "ASC"
        return f"NTILE(5) OVER (ORDER BY {column} {order}, customer_id)"

    return (
        f"{measure('recency', 'recency_days', True)} AS r_score, "
        f"{measure('frequency', 'orders', False)} AS f_score, "
        f"{measure('monetary', 'revenue', False)} AS m_score"
    )


SEGMENT_SQL = f"""
CASE
    WHEN first_order > $as_of - {NEW_DAYS} THEN '{Segment.NEW.value}'
    WHEN recency_days > {LAPSED_DAYS} THEN '{Segment.LAPSED.value}'
    WHEN r_score >= 4 AND f_score >= 4 AND m_score >= 4 THEN '{Segment.CHAMPIONS.value}'
    WHEN orders > 1 AND r_score <= 2 THEN '{Segment.AT_RISK.value}'
    WHEN orders = 1 THEN '{Segment.ONE_TIME.value}'
    ELSE '{Segment.REPEAT.value}'
END
"""


def validate_cutoffs(cutoffs: Any) -> dict[str, list[float]]:
    """The configured cut-offs, checked: four ascending numbers per named measure."""
    if not cutoffs:
        return {}
    if not isinstance(cutoffs, dict):
        raise ValueError("Give the cut-offs as an object of recency, frequency, monetary.")
    checked: dict[str, list[float]] = {}
    for name, edges in cutoffs.items():
        if name not in ("recency", "frequency", "monetary"):
            raise ValueError(f"{name!r} is not a measure (recency, frequency, monetary).")
        if (
            not isinstance(edges, list)
            or len(edges) != 4
            or not all(isinstance(e, (int, float)) for e in edges)
            or sorted(edges) != edges
            or len(set(edges)) != 4
        ):
            raise ValueError(f"{name}: give four ascending numbers.")
        checked[name] = [float(e) for e in edges]
    return checked


@dataclass(frozen=True)
class ScoreReport:
    customers: int
    as_of: date | None
    model: dict[str, float]
    model_note: str


def last_day(db: Any, data_set_id: int) -> date | None:
    row = db.execute(
        "SELECT max(ordered_on) FROM orders WHERE data_set_id = ?", [data_set_id]
    ).fetchall()[0]
    return row[0] if row and row[0] else None


def customers_at(
    db: Any, data_set_id: int, as_of: date, *, recent_days: int, cutoffs: dict[str, list[float]]
) -> pa.Table:
    """Steps 1-3 as of a day: one row per customer with RFM and segment."""
    sql = (
        f"WITH base AS ({CUSTOMER_SQL}), scored AS (SELECT *, {_score_sql(cutoffs)} FROM base) "
        f"SELECT *, {SEGMENT_SQL} AS segment FROM scored"
    )
    return db.sql(
        sql, params={"data_set": data_set_id, "as_of": as_of, "recent_days": recent_days}
    ).to_arrow_table()


def score(
    data_set_id: int,
    *,
    recent_days: int = 182,
    horizon_weeks: int = 26,
    cutoffs: dict[str, list[float]] | None = None,
) -> ScoreReport:
    with warehouse.connect() as db:
        as_of = last_day(db, data_set_id)
        if as_of is None:
            db.execute("DELETE FROM scores WHERE data_set_id = ?", [data_set_id])
            return ScoreReport(0, None, {}, "No orders yet.")
        table = customers_at(db, data_set_id, as_of, recent_days=recent_days, cutoffs=cutoffs or {})
    n = table.num_rows
    first = np.array(table.column("first_order").to_pylist(), dtype="datetime64[D]")
    last = np.array(table.column("last_order").to_pylist(), dtype="datetime64[D]")
    end = np.datetime64(as_of + timedelta(days=1), "D")
    # Weeks; a repeat purchase is another day with an order (the paper's convention).
    x = np.array(table.column("order_days").to_pylist(), dtype=float) - 1
    t_x = (last - first).astype(float) / 7.0
    age = (end - first).astype(float) / 7.0
    revenue = np.array(table.column("revenue").to_pylist(), dtype=float)
    orders = np.array(table.column("orders").to_pylist(), dtype=float)
    mean_value = np.where(orders > 0, revenue / np.maximum(orders, 1), 0.0)
    expected = np.full(n, np.nan)
    alive = np.full(n, np.nan)
    spend = np.full(n, np.nan)
    model: dict[str, float] = {}
    note = ""
    # SciPy is loaded on the first fit, not at every process start.
    from retainops.stats.bgnbd import (
        conditional_expected_purchases,
        fit_bgnbd,
        fit_gamma_gamma,
        probability_alive,
    )

    try:
        fit = fit_bgnbd(x, t_x, age)
        expected = conditional_expected_purchases(fit, horizon_weeks, x, t_x, age)
        alive = probability_alive(fit, x, t_x, age)
        model.update(r=fit.r, alpha=fit.alpha, a=fit.a, b=fit.b, log_likelihood=fit.log_likelihood)
        gg = fit_gamma_gamma(x, np.where(x > 0, mean_value, 0.0))
        spend = gg.expected_spend(x, mean_value)
        model.update(p=gg.p, q=gg.q, gamma=gg.gamma)
    except StatsInputError as error:
        note = str(error)
    value = expected * spend
    extra = pa.table(
        {
            "expected_purchases": pa.array(expected, from_pandas=True),
            "p_alive": pa.array(alive, from_pandas=True),
            "expected_spend": pa.array(spend, from_pandas=True),
            "expected_value": pa.array(value, from_pandas=True),
        }
    )
    for name in extra.column_names:
        table = table.append_column(name, extra.column(name))
    with warehouse.connect() as db:
        db.register("new_scores", table)
        db.execute("BEGIN TRANSACTION")
        db.execute("DELETE FROM scores WHERE data_set_id = ?", [data_set_id])
        db.execute(
            """
            INSERT INTO scores
            SELECT ?, customer_id, name, email, phone, address, first_order, last_order,
                   orders, orders_recent, revenue, recency_days, r_score, f_score, m_score,
                   segment, expected_purchases, p_alive, expected_spend, expected_value
            FROM new_scores
            """,
            [data_set_id],
        )
        db.execute("COMMIT")
    return ScoreReport(n, as_of, model, note)


# Reads of the scores -------------------------------------------------------------------------


def segment_summary(data_set_id: int) -> list[dict[str, Any]]:
    """Per named segment (all six, in order): customers, revenue, mean expected value."""
    with warehouse.connect(read_only=True) as db:
        rows = db.execute(
            """
            SELECT segment, count(*), coalesce(sum(revenue), 0), avg(expected_value),
                   avg(recency_days), avg(orders)
            FROM scores WHERE data_set_id = ? GROUP BY segment
            """,
            [data_set_id],
        ).fetchall()
    found = {r[0]: r for r in rows}
    summary = []
    for segment in Segment:
        row = found.get(segment.value)
        summary.append(
            {
                "segment": segment.value,
                "label": segment.label,
                "customers": int(row[1]) if row else 0,
                "revenue": float(row[2]) if row else 0.0,
                "mean_expected_value": float(row[3]) if row and row[3] is not None else None,
                "mean_recency_days": float(row[4]) if row else None,
                "mean_orders": float(row[5]) if row else None,
            }
        )
    return summary


def segments_over_time(
    data_set_id: int, *, quarters: int = 8, recent_days: int = 182, cutoffs: dict | None = None
) -> tuple[list[str], dict[str, list[int]]]:
    """Customers per segment at each of the last quarter ends (recomputed as of each)."""
    with warehouse.connect(read_only=True) as db:
        end = last_day(db, data_set_id)
        if end is None:
            return [], {}
        days = []
        for back in range(quarters - 1, -1, -1):
            days.append(end - timedelta(days=91 * back))
        labels = [d.isoformat() for d in days]
        counts: dict[str, list[int]] = {s.value: [] for s in Segment}
        for day in days:
            table = customers_at(
                db, data_set_id, day, recent_days=recent_days, cutoffs=cutoffs or {}
            )
            values = table.column("segment").to_pylist()
            for segment in Segment:
                counts[segment.value].append(values.count(segment.value))
    return labels, counts


def monthly_revenue_by_segment(
    data_set_id: int, months: int = 24
) -> tuple[list[str], dict[str, list[float]]]:
    """Revenue per month of each segment's (today's) customers, the last `months` months."""
    with warehouse.connect(read_only=True) as db:
        rows = db.execute(
            """
            SELECT strftime(date_trunc('month', o.ordered_on), '%Y-%m') AS month, s.segment,
                   sum(o.amount)::DOUBLE
            FROM orders o
            LEFT JOIN identities i ON i.data_set_id = o.data_set_id AND i.record_key = o.record_key
            JOIN scores s ON s.data_set_id = o.data_set_id
                 AND s.customer_id = coalesce(i.customer_id, o.record_key)
            WHERE o.data_set_id = ? GROUP BY 1, 2 ORDER BY 1
            """,
            [data_set_id],
        ).fetchall()
    labels = sorted({r[0] for r in rows})[-months:]
    series: dict[str, list[float]] = {s.value: [0.0] * len(labels) for s in Segment}
    position = {m: i for i, m in enumerate(labels)}
    for month, segment, amount in rows:
        if month in position and segment in series:
            series[segment][position[month]] = float(amount)
    return labels, series


def customers(
    data_set_id: int, *, segment: str = "", limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """A page of scored customers (of a segment when given), by expected value."""
    where = "data_set_id = ?" + (" AND segment = ?" if segment else "")
    params: list[Any] = [data_set_id] + ([segment] if segment else [])
    with warehouse.connect(read_only=True) as db:
        total_row = db.execute(f"SELECT count(*) FROM scores WHERE {where}", params).fetchall()[0]
        cursor = db.execute(
            f"SELECT * FROM scores WHERE {where} "
            "ORDER BY expected_value DESC NULLS LAST, revenue DESC, customer_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        names = [d[0] for d in cursor.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return (int(total_row[0]) if total_row else 0), rows
