"""Run every benchmark, print the figures, and keep them in bench/RESULTS.md.

The client list is measured at 20,000 clients against a baseline of 1,000
clients measured in the same run on the same machine, each in a fresh SQLite
database (and on PostgreSQL too when BENCH_POSTGRES_URL is set). Messaging
(bench/messaging.py) is measured the same way: delivery throughput with one
and two worker processes, and the claim query among 1,000,000 delivered
messages against a baseline of 1,000. The process engine (bench/playbooks.py)
is measured at 100,000 running runs and 1,000,000 tasks against a baseline of
1,000 runs: the "My work" page and its queries, and the due-timer sweep. Contact
plans (bench/cadence.py) are measured at 20,000 clients against 1,000: the occurrence
sweep and the adherence queries. Performance (bench/performance.py) is measured at
20,000 programs and 1,000,000 imported metric rows against 1,000 programs and 50,000 rows:
the import, the same import again, and the report page.
"""

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.cadence import section as cadence_section
from bench.messaging import messaging_section
from bench.performance import section as performance_section
from bench.playbooks import playbooks_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SIZES = [("baseline", 1_000), ("target", 20_000)]


def _json_of(module: str, *args: str) -> dict:
    command = [sys.executable, "-m", module, *args]
    output = subprocess.run(
        command, cwd=HERE.parent, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _run(count: int, database_url: str) -> dict:
    return _json_of("bench.client_list", "--clients", str(count), "--database-url", database_url)


def _sqlite_url(count: int | str, prefix: str = "clients") -> str:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"{prefix}-{count}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _postgres_url(count: int | str, prefix: str = "retainops_bench") -> str | None:
    base = os.environ.get("BENCH_POSTGRES_URL")
    if not base:
        return None
    name = f"{prefix}_{count}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)
    return base.rsplit("/", 1)[0] + f"/{name}"


def _table(engine: str, baseline: dict, target: dict) -> list[str]:
    lines = [
        f"### Client list on {engine}: {target['clients']:,} clients vs baseline "
        f"{baseline['clients']:,}",
        "",
        "| case | page median ms (baseline) | page p95 ms | API median ms (baseline) "
        "| API p95 ms | queries page/API |",
        "|---|---|---|---|---|---|",
    ]
    for case, figures in target["cases"].items():
        base = baseline["cases"][case]
        page, api = figures["page"], figures["api"]
        lines.append(
            f"| {case} | {page['median_ms']} ({base['page']['median_ms']}) | {page['p95_ms']} "
            f"| {api['median_ms']} ({base['api']['median_ms']}) | {api['p95_ms']} "
            f"| {page['queries']}/{api['queries']} |"
        )
    return lines


def main() -> None:
    report = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        "in-process requests (Django test client, no network), 20 repeats after a warm-up, "
        "signed in as an account manager who sees one of two business units (half the clients).",
        "",
    ]
    engines = [("SQLite", _sqlite_url), ("PostgreSQL", _postgres_url)]
    report += _client_list(engines)
    messaging_engines = [
        ("SQLite", lambda label: _sqlite_url(label, prefix="messaging")),
        ("PostgreSQL", lambda label: _postgres_url(label, prefix="retainops_bench_msg")),
    ]
    run_messaging = lambda *args: _json_of("bench.messaging", *args)  # noqa: E731
    report += messaging_section(messaging_engines, run_messaging)
    playbook_engines = [
        ("SQLite", lambda label: _sqlite_url(label, prefix="playbooks")),
        ("PostgreSQL", lambda label: _postgres_url(label, prefix="retainops_bench_playbooks")),
    ]
    report += playbooks_section(playbook_engines, lambda *args: _json_of("bench.playbooks", *args))
    cadence_engines = [
        ("SQLite", lambda label: _sqlite_url(label, prefix="cadence")),
        ("PostgreSQL", lambda label: _postgres_url(label, prefix="retainops_bench_cadence")),
    ]
    report += cadence_section(cadence_engines, lambda *args: _json_of("bench.cadence", *args))
    performance_engines = [
        ("SQLite", lambda label: _sqlite_url(label, prefix="performance")),
        ("PostgreSQL", lambda label: _postgres_url(label, prefix="retainops_bench_perf")),
    ]
    report += performance_section(
        performance_engines, lambda *args: _json_of("bench.performance", *args)
    )
    text = "\n".join(report)
    print(text)
    (HERE / "RESULTS.md").write_text(text + "\n")
    _append_own_sections()


# Benchmarks that run on their own and append their section to RESULTS.md themselves,
# each in its own process (and, for the ones with data, its own fresh SQLite database).
OWN_SECTIONS = [
    ("bench.voice", "--report"),
    ("bench.health", "--report"),
    ("bench.sbg",),
    ("bench.audience",),
    ("bench.drops",),
]


def _append_own_sections() -> None:
    commands = [*OWN_SECTIONS, *_load_commands()]
    for command in commands:
        print(f"== python -m {' '.join(command)}", flush=True)
        subprocess.run([sys.executable, "-m", *command], check=True, cwd=HERE.parent)


def _load_commands() -> list[tuple[str, ...]]:
    """The pages under load (bench/load.py) on SQLite, and on PostgreSQL when it is set;
    each keeps its data set between runs (it takes minutes to build)."""
    commands: list[tuple[str, ...]] = [("bench.load", "--report")]
    base = os.environ.get("BENCH_POSTGRES_URL")
    if base:
        url = base.rsplit("/", 1)[0] + "/retainops_bench_load"
        commands.append(("bench.load", "--report", "--database-url", url))
    return commands


def _client_list(engines: list) -> list[str]:
    report: list[str] = []
    for engine, url_for in engines:
        runs = {}
        for label, count in SIZES:
            url = url_for(count)
            if url is None:
                break
            runs[label] = _run(count, url)
        if len(runs) == len(SIZES):
            report += [*_table(engine, runs["baseline"], runs["target"]), ""]
    return report


if __name__ == "__main__":
    main()
