"""Measure performance data in and the client's report on one data set; prints JSON.

Run once per size, each in a fresh database (`python -m bench.performance --report`
runs the baseline and the target itself and appends the table to bench/RESULTS.md;
`--small` does the same at a twentieth of the size, for a quick look):

  import      metric rows through the import's full checks and its upsert, in files of
              100,000 rows (a platform export each), into programs that have none yet;
              then the same rows again, which must add nothing; rows per second.
  report      the staff report page of one program (a month of four metrics on one
              line), Django's test client, among every other program's data.

The data: programs of one SEM line each, ten to a client in two units, written in bulk;
the imported rows spread evenly over them (the same number of days per program at
every size), so the report reads the same amount of its own data at every size.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

BATCH = 5_000
FILE_ROWS = 100_000
METRICS = ["impressions", "clicks", "leads", "spend"]
PER_CLIENT = 10
SIZES = [("baseline", 1_000, 50_000), ("target", 20_000, 1_000_000)]
SMALL = [("baseline", 100, 5_000), ("target", 1_000, 50_000)]
TODAY = date(2026, 6, 30)


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(programs: int) -> dict[str, Any]:
    """Clients and live SEM programs in bulk; seconds taken."""
    from django.db import transaction

    from retainops.clients.models import Client, ServiceLine
    from retainops.core.models import BusinessUnit, User
    from retainops.onboarding.models import Program, ProgramService

    started = time.perf_counter()
    with transaction.atomic():
        units = [
            BusinessUnit.objects.get_or_create(code=code, defaults={"name": code})[0]
            for code in ("bench-north", "bench-south")
        ]
        clients = Client.objects.bulk_create(
            [
                Client(name=f"Client {i:06d}", business_unit=units[i % 2], industry="Dental")
                for i in range(max(programs // PER_CLIENT, 1))
            ],
            batch_size=BATCH,
        )
        made = Program.objects.bulk_create(
            [
                Program(
                    client=clients[i // PER_CLIENT],
                    name=f"Program {i:06d}",
                    status="live",
                    start_date=date(2026, 1, 1),
                    end_date=date(2026, 12, 31),
                )
                for i in range(programs)
            ],
            batch_size=BATCH,
        )
        sem = ServiceLine.objects.get(code="sem")
        ProgramService.objects.bulk_create(
            [ProgramService(program=p, service=sem, monthly_budget=Decimal(1500)) for p in made],
            batch_size=BATCH,
        )
        admin = User.objects.create_superuser("bench.admin", "admin@bench.example", "x")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "program_ids": [p.pk for p in made],
        "admin": admin,
    }


def _rows(program_ids: list[int], count: int) -> list[Any]:
    """`count` metric rows: every program the same run of days back from TODAY."""
    from retainops.performance.importing import MetricRow

    per_program = max(count // len(program_ids), 1)
    rows = []
    for index in range(count):
        program = program_ids[index // per_program % len(program_ids)]
        within = index % per_program
        day = TODAY - timedelta(days=within // len(METRICS))
        metric = METRICS[within % len(METRICS)]
        rows.append(MetricRow(index + 2, program, "sem", day.isoformat(), metric, 10 + index % 90))
    return rows


def _import(rows: list[Any], admin: Any) -> dict[str, Any]:
    from retainops.performance import services
    from retainops.performance.models import MetricSource

    source = MetricSource.objects.get(key="api")
    totals = {"created": 0, "updated": 0, "unchanged": 0, "errors": 0}
    started = time.perf_counter()
    for start in range(0, len(rows), FILE_ROWS):
        report = services.import_metrics(
            by=admin, source=source, rows=rows[start : start + FILE_ROWS], today=TODAY
        )
        totals["created"] += report.created
        totals["updated"] += report.updated
        totals["unchanged"] += report.unchanged
        totals["errors"] += len(report.errors)
    seconds = time.perf_counter() - started
    return {**totals, "seconds": round(seconds, 1), "rows_per_s": round(len(rows) / seconds)}


def _time(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Median and p95 ms of `repeat` calls after a warm-up, and SQL queries per call."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call()
    samples, counts = [], []
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        counts.append(len(queries.captured_queries))
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(int(len(samples) * 0.95) - 1, 0)], 2),
        "queries": round(statistics.median(counts)),
    }


def measure(programs: int, rows: int, repeat: int) -> dict[str, Any]:
    import time_machine
    from django.test import Client as HttpClient
    from django.urls import reverse

    from retainops.performance.models import MetricValue

    generated = generate(programs)
    admin = generated.pop("admin")
    program_ids = generated.pop("program_ids")
    batch = _rows(program_ids, rows)
    first = _import(batch, admin)
    again = _import(batch, admin)
    assert first["errors"] == 0 and again["created"] == 0, (first, again)
    _settle()
    browser = HttpClient()
    browser.force_login(admin)
    url = reverse("performance:report", args=[program_ids[0]]) + "?period=2026-06-01"
    with time_machine.travel(date(2026, 7, 1), tick=False):

        def page() -> None:
            response = browser.get(url)
            assert response.status_code == 200, response.status_code

        report_page = _time(page, repeat)
    return {
        "programs": programs,
        "rows": rows,
        "stored": MetricValue.objects.count(),
        "generated": generated,
        "import": first,
        "reimport": again,
        "report": report_page,
    }


def _settle() -> None:
    """Fold SQLite's write-ahead log back into the database before reading: right after a
    million-row import every read also searches a log of several hundred megabytes, which
    measured the page 10x slower than the same page on the same file a minute later."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# Report --------------------------------------------------------------------------------


def section(
    engines: list[tuple[str, Callable[[str], str | None]]],
    run: Callable,
    sizes: list[tuple[str, int, int]] = SIZES,
) -> list[str]:
    """Markdown tables for every engine that has a database URL."""
    lines: list[str] = []
    for engine, url_for in engines:
        results = {}
        for label, programs, rows in sizes:
            url = url_for(str(programs))
            if url is None:
                break
            results[label] = run(
                "--programs", str(programs), "--rows", str(rows), "--database-url", url
            )
        if len(results) == len(sizes):
            lines += [*_table(engine, results["baseline"], results["target"]), ""]
    return lines


def _table(engine: str, baseline: dict[str, Any], target: dict[str, Any]) -> list[str]:
    def cell(figures: dict[str, Any], key: str) -> str:
        return f"{figures[key]:,}"

    page, base_page = target["report"], baseline["report"]
    ratio = page["median_ms"] / base_page["median_ms"] if base_page["median_ms"] else 0
    return [
        f"### Performance on {engine}: {target['programs']:,} programs, "
        f"{target['rows']:,} metric rows vs baseline {baseline['programs']:,} "
        f"({baseline['rows']:,})",
        "",
        "Imports in files of 100,000 rows through the full checks and the upsert; the "
        "second import is the same rows again (nothing created).",
        "",
        "| measure | target | baseline |",
        "|---|---|---|",
        f"| import: seconds | {target['import']['seconds']} | {baseline['import']['seconds']} |",
        f"| import: rows/s | {cell(target['import'], 'rows_per_s')} "
        f"| {cell(baseline['import'], 'rows_per_s')} |",
        f"| re-import: seconds | {target['reimport']['seconds']} "
        f"| {baseline['reimport']['seconds']} |",
        f"| re-import: rows/s (created) | {cell(target['reimport'], 'rows_per_s')} "
        f"({target['reimport']['created']}) | {cell(baseline['reimport'], 'rows_per_s')} "
        f"({baseline['reimport']['created']}) |",
        f"| report page: median ms | {page['median_ms']} | {base_page['median_ms']} |",
        f"| report page: p95 ms | {page['p95_ms']} | {base_page['p95_ms']} |",
        f"| report page: queries | {page['queries']} | {base_page['queries']} |",
        f"| report page: ratio | {ratio:.1f}x | 1.0x |",
    ]


def _report(small: bool) -> None:
    """Baseline and target in this run, each in a fresh SQLite database (and PostgreSQL
    when BENCH_POSTGRES_URL is set); the tables printed and appended to RESULTS.md."""
    import subprocess

    from bench.run_all import _postgres_url, _sqlite_url

    here = Path(__file__).resolve().parent

    def run(*args: str) -> dict:
        command = [sys.executable, "-m", "bench.performance", *args]
        done = subprocess.run(command, cwd=here.parent, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    engines = [
        ("SQLite", lambda label: _sqlite_url(label, prefix="performance")),
        ("PostgreSQL", lambda label: _postgres_url(label, prefix="retainops_bench_perf")),
    ]
    text = "\n".join(section(engines, run, SMALL if small else SIZES))
    if small:
        text = text.replace("### Performance on", "### Performance (--small) on")
    print(text)
    with (here / "RESULTS.md").open("a") as results:
        results.write("\n" + text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--programs", type=int)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--report", action="store_true", help="baseline and target, appended")
    parser.add_argument("--small", action="store_true", help="a twentieth of the sizes")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if args.report:
        _report(args.small)
        return
    _setup(args.database_url)
    print(json.dumps(measure(args.programs, args.rows, args.repeat)))


if __name__ == "__main__":
    main()
