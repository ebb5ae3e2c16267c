"""Where one page's time goes: pyinstrument over a few requests on the load data set.

    python -m bench.profile_page /clients/ [/work/ ...] [--requests 20] [--database-url URL]
                                 [--time-only]

Signed in as bench/load.py signs in (the demo's account manager), with DEBUG=false,
on the data set bench/load.py built (its SQLite file by default). Prints, per page,
the CPU milliseconds per request and pyinstrument's call tree, library frames
folded, so the lines that matter are the product's own.
"""

import argparse
import os
import statistics
import time

from bench import load


def _quiet_production_settings() -> None:
    os.environ.update(
        {
            "DEBUG": "false",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "EMAIL_TO_FILES": "true",
            "AXES_ENABLED": "false",
        }
    )


def profile(path: str, browser: object, headers: dict[str, str], requests: int) -> str:
    from pyinstrument import Profiler

    get = browser.get  # type: ignore[attr-defined]
    get(path, headers=headers)  # warm-up
    spent = []
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(requests):
        started = time.process_time()
        get(path, headers=headers)
        spent.append((time.process_time() - started) * 1000)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    return f"{path}: {statistics.median(spent):.1f} ms CPU per request (median)\n{text}"


def time_only(path: str, browser: object, headers: dict[str, str], requests: int) -> str:
    """Median wall and CPU milliseconds per request and the queries, without a profiler
    (whose own cost on a slow timer can be most of what it reports)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get = browser.get  # type: ignore[attr-defined]
    get(path, headers=headers)  # warm-up
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            get(path, headers=headers)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return (
        f"{path}: {statistics.median(wall):.1f} ms wall, {statistics.median(cpu):.1f} ms CPU"
        f" per request (median), {len(queries.captured_queries)} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--time-only", action="store_true", help="times and queries, no profile")
    args = parser.parse_args()
    _quiet_production_settings()
    load._setup_django(args.database_url or load.default_sqlite_url(args.clients, args.runs))
    browser, _cookie, token = load._signed_in(load._reader())
    for path in args.paths:
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        measure = time_only if args.time_only else profile
        print(measure(path, browser, headers, args.requests))


if __name__ == "__main__":
    main()
