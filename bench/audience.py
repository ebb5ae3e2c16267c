"""Measure end-customer analytics; prints the figures and appends them to bench/RESULTS.md.

  rfm      recency, frequency and monetary per customer with quintile scores over
           10,000,000 generated transactions (1,000,000 customers): DuckDB's SQL
           against pandas (groupby and qcut) on the same arrays, measured in the same run.
  bgnbd    the BG/NBD fit of retainops.stats.bgnbd (identical customer summaries
           collapsed with weights, L-BFGS-B then a Nelder-Mead polish) against a plain
           SciPy fit of the same log-likelihood on every row (L-BFGS-B alone), on the
           CDNOW sample (2,357 customers) and on 1,000,000 customers drawn from the
           BG/NBD process with the CDNOW parameters; lifetimes' BetaGeoFitter when it
           is installed.

`--small` runs a tenth (RFM on 1,000,000 transactions, BG/NBD on 100,000 customers).
"""

import argparse
import csv
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
from scipy.optimize import minimize

from retainops.stats.bgnbd import _bgnbd_ll, fit_bgnbd

HERE = Path(__file__).parent
CDNOW = (
    HERE.parent
    / "src/retainops/stats/tests/data/cdnow/cdnow_customers_summary_with_transactions.csv"
)


def transactions(count: int, seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    customers = max(1, count // 10)
    return {
        "customer_id": rng.integers(0, customers, count).astype(np.int64),
        "day": rng.integers(0, 730, count).astype(np.int32),
        "amount": np.round(rng.gamma(2.0, 25.0, count), 2),
    }


def rfm_duckdb(data: dict[str, np.ndarray]) -> tuple[float, int]:
    import pyarrow as pa

    table = pa.table(data)
    connection = duckdb.connect()
    connection.register("t", table)
    started = time.perf_counter()
    rows = connection.execute(
        """
        WITH c AS (SELECT customer_id, 730 - max(day) AS recency, count(*) AS frequency,
                          sum(amount) AS monetary FROM t GROUP BY customer_id)
        SELECT count(*), sum(r + f + m) FROM (
            SELECT NTILE(5) OVER (ORDER BY recency DESC) AS r,
                   NTILE(5) OVER (ORDER BY frequency) AS f,
                   NTILE(5) OVER (ORDER BY monetary) AS m FROM c)
        """
    ).fetchall()
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, int(rows[0][0])


def rfm_pandas(data: dict[str, np.ndarray]) -> tuple[float, int]:
    import pandas as pd

    frame = pd.DataFrame(data)
    started = time.perf_counter()
    grouped = frame.groupby("customer_id").agg(
        last=("day", "max"), frequency=("day", "size"), monetary=("amount", "sum")
    )
    grouped["recency"] = 730 - grouped["last"]
    for column, ascending in (("recency", False), ("frequency", True), ("monetary", True)):
        ranks = grouped[column].rank(method="first", ascending=ascending)
        grouped[column + "_score"] = pd.qcut(ranks, 5, labels=False) + 1
    seconds = time.perf_counter() - started
    return seconds, len(grouped)


def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with CDNOW.open() as handle:
        rows = list(csv.DictReader(handle))
    return tuple(np.array([float(r[k]) for r in rows]) for k in ("x", "t_x", "T"))  # type: ignore[return-value]


def simulate(customers: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers of the BG/NBD process with CDNOW's parameters, 39 weeks at day resolution."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    rate = rng.gamma(r, 1 / alpha, customers)
    drop = rng.beta(a, b, customers)
    age = np.round(rng.uniform(27.0, 39.0, customers) * 7) / 7
    x = np.zeros(customers)
    last = np.zeros(customers)
    now = np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    while alive.any():
        now = now + rng.exponential(1 / np.maximum(rate, 1e-9))
        alive &= now < age
        x[alive] += 1
        # At day resolution, and a repeat purchase is at least a day after the first.
        last[alive] = np.maximum(np.round(now[alive] * 7) / 7, 1 / 7)
        alive &= rng.random(customers) >= drop
    return x, np.minimum(last, age), age


def plain_fit(x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> tuple[float, float]:
    def objective(p: np.ndarray) -> float:
        r, alpha, a, b = np.exp(p)
        return -float(_bgnbd_ll(r, alpha, a, b, x, t_x, age).sum())

    started = time.perf_counter()
    result = minimize(objective, np.zeros(4), method="L-BFGS-B")
    return time.perf_counter() - started, -float(result.fun)


def lifetimes_fit(x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> tuple[float, float] | None:
    try:
        from lifetimes import BetaGeoFitter  # type: ignore[import-not-found]
    except Exception:
        return None
    started = time.perf_counter()
    fitter = BetaGeoFitter().fit(x, t_x, age)
    return time.perf_counter() - started, float(fitter._negative_log_likelihood_ * -len(x))


def timed_fit(x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> tuple[float, float]:
    started = time.perf_counter()
    fit = fit_bgnbd(x, t_x, age)
    return time.perf_counter() - started, fit.log_likelihood


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    scale = 10 if options.small else 1
    lines = []
    count = 10_000_000 // scale
    data = transactions(count)
    duck_s, duck_n = rfm_duckdb(data)
    pandas_s, pandas_n = rfm_pandas(data)
    assert duck_n == pandas_n
    lines += [
        f"### End-customer analytics ({'small' if options.small else 'full'} run)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; both engines in the "
        "same run on the same generated data.",
        "",
        f"RFM with quintile scores over {count:,} transactions ({duck_n:,} customers):",
        "",
        "| engine | seconds | ratio to DuckDB |",
        "|---|---|---|",
        f"| DuckDB | {duck_s:.2f} | 1.0x |",
        f"| pandas | {pandas_s:.2f} | {pandas_s / duck_s:.1f}x |",
        "",
        "BG/NBD maximum likelihood (log-likelihood of each fit beside its time):",
        "",
        "| customers | retainops.stats (collapsed) s | LL | plain SciPy s | LL | lifetimes s |",
        "|---|---|---|---|---|---|",
    ]
    for label, (x, t_x, age) in (
        ("CDNOW 2,357", cdnow()),
        (f"simulated {1_000_000 // scale:,}", simulate(1_000_000 // scale)),
    ):
        ours = timed_fit(x, t_x, age)
        plain = plain_fit(x, t_x, age)
        other = lifetimes_fit(x, t_x, age)
        other_text = f"{other[0]:.2f}" if other else "not installed"
        lines.append(
            f"| {label} | {ours[0]:.2f} | {ours[1]:.1f} | {plain[0]:.2f} | {plain[1]:.1f} "
            f"| {other_text} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if not options.no_write:
        with (HERE / "RESULTS.md").open("a") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
