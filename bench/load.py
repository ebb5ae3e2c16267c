"""Load from outside: the list and dashboard pages under gunicorn at agency scale.

What a user's load looks like, measured where it arrives: gunicorn with 2 sync
workers and DEBUG=false, driven over loopback by an asyncio client holding
`--connections` requests in flight (8) for `--seconds` (6) per page, signed in
as an account manager of one of the demo's two business units (half the
clients). Each page's figures, printed and kept in bench/RESULTS.md:

  alone     one request at a time in this process (Django's test client on the
            same database): median ms, of it SQL ms, and SQL queries;
  loaded    p50 / p95 / p99 ms and requests per second through gunicorn;
  ceiling   the same load on a static file (whitenoise, same gunicorn, same run),
            so throughput reads as a share of what the server can do at all.

The data set is built once per database and kept (bench/data/load-*.sqlite3,
or the PostgreSQL database `retainops_bench_load`): `seed_demo --clients 1000`
(two years of history, change requests, complaints, surveys, messages, contact
plans), topped up in bulk to `--clients` (20,000) clients with their teams,
contacts, contracts and lines, then `--runs` running onboarding runs of ten tasks
each on all of them, written in bulk as the engine would leave them (100,000 runs,
1,000,000 tasks; see bench/playbooks.py for how the rows are laid out).

    python -m bench.load                           # SQLite, build if missing
    python -m bench.load --database-url postgres://postgres@127.0.0.1:5432/retainops_bench_load
    python -m bench.load --only clients --seconds 3  # a few pages, shorter

A run first rebuilds nothing it finds: delete the file (or drop the database) to
rebuild after a migration.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BENCH_PLAYBOOK_KEY = "bench-onboarding"
SIGNED_IN_AS = "account_manager"  # the role of the demo login the load signs in as
STATIC_PATH = "/static/vendor/pico/pico.min.css"
RUN_CHUNK = 5_000
# The demo seeds this many clients with two years of life in every app (seeding all
# 20,000 that way takes over an hour on two cores); the rest are written in bulk with
# their team, contact, contract and lines, as bench/generate.py writes them.
DEMO_CLIENTS = 1_000
TOP_UP_ROLES = ("account_manager", "client_success_manager", "sales_rep")
# The server and this process sign the same session cookie: one key for both.
SECRET_KEY = "bench-load-" + "k" * 50


# The data set ---------------------------------------------------------------------------------


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    # Files beside the database (the end-customer warehouse, imports) belong to its data
    # set: two data sets built at once must not share them.
    own_files = DATA / f"var-{database_url.rstrip('/').rsplit('/', 1)[-1].split('.')[0]}"
    own_files.mkdir(parents=True, exist_ok=True)
    os.environ["RETAINOPS_VAR_DIR"] = str(own_files)
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _is_built(clients: int) -> bool:
    from django.db.utils import DatabaseError

    from retainops.clients.models import Client
    from retainops.playbooks.models import Playbook

    try:
        return (
            Client.objects.count() >= clients
            and Playbook.objects.filter(key=BENCH_PLAYBOOK_KEY).exists()
        )
    except DatabaseError:  # not migrated yet
        return False


def build(clients: int, runs: int) -> dict[str, float]:
    """Migrate, seed the demo, top it up to `clients` clients, then add `runs` running runs."""
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not _demo_seeded():  # a build stopped after the seed takes up from there
        call_command("seed_demo", clients=min(clients, DEMO_CLIENTS), verbosity=0)
    seeded = time.perf_counter()
    _top_up_clients(clients)
    topped = time.perf_counter()
    _add_runs(runs)
    with connection.cursor() as cursor:
        # A database in service has planner statistics; a bulk-loaded one has none yet.
        cursor.execute("ANALYZE")
    return {
        "seed_demo_s": round(seeded - started, 1),
        "top_up_s": round(topped - seeded, 1),
        "runs_s": round(time.perf_counter() - topped, 1),
    }


def _demo_seeded() -> bool:
    from retainops.clients.demo import EXTERNAL_ID_PREFIX
    from retainops.clients.models import Client

    return Client.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX).count() >= min(
        DEMO_CLIENTS, Client.objects.count() or 1
    )


def _top_up_clients(total: int, seed: int = 29) -> None:
    """Clients beyond the demo's, in its units, on teams of its staff, with a contact, a
    contract and lines each (bench/generate.py), until there are `total`."""
    from django.db import transaction

    from bench.generate import add_clients
    from retainops.clients.models import Client
    from retainops.core.models import BusinessUnit, User

    missing = total - Client.objects.count()
    if missing <= 0:
        return
    people = {
        unit.pk: {
            code: list(User.objects.filter(roles__code=code, business_units=unit, is_active=True))
            for code in TOP_UP_ROLES
        }
        for unit in BusinessUnit.objects.order_by("id")
    }
    # The units the demo staffs (one person at least in each role), as its clients are.
    staffed = [u for u in BusinessUnit.objects.order_by("id") if all(people[u.pk].values())]
    with transaction.atomic():
        add_clients(missing, staffed, people, random.Random(seed), prefix="LOAD")


def _client_rows(units: list[Any]) -> list[Any]:
    """Every client with its unit's index and its team (role code -> person) as the run
    generator wants them."""
    from bench import playbooks as engine_bench
    from retainops.clients.models import Client, ClientTeamMember

    unit_index = {unit.pk: index for index, unit in enumerate(units)}
    teams: dict[int, dict[str, int | None]] = {}
    members = ClientTeamMember.objects.filter(role__code__in=engine_bench.TEAM_ROLES)
    for client_id, code, user_id in members.values_list("client_id", "role__code", "user_id"):
        teams.setdefault(client_id, dict.fromkeys(engine_bench.TEAM_ROLES))[code] = user_id
    rows = []
    for client_id, unit_id in Client.objects.order_by("id").values_list("id", "business_unit_id"):
        team = teams.get(client_id) or dict.fromkeys(engine_bench.TEAM_ROLES)
        rows.append(engine_bench.ClientRow(client_id, unit_index[unit_id], team))
    return rows


def _add_runs(runs: int, seed: int = 23) -> None:
    """`runs` runs of the bench playbook spread evenly over the demo's clients."""
    import itertools

    from django.db import transaction
    from django.utils import timezone

    from bench import playbooks as engine_bench
    from retainops.core.models import BusinessUnit
    from retainops.playbooks.models import Run, Task, Timer

    rng = random.Random(seed)
    now = timezone.now().replace(second=0, microsecond=0)
    units = list(BusinessUnit.objects.order_by("id"))
    with transaction.atomic():
        version = engine_bench._publish(now, units)
    clients = _client_rows(units)
    ctx = engine_bench.Context(
        steps=engine_bench._plan(version),
        codec=engine_bench.Codec(engine_bench._vendor(), now),
        version_id=version.pk,
        unit_ids=[unit.pk for unit in units],
        first_run=engine_bench._next_id(Run),
        first_task=engine_bench._next_id(Task),
        timer_ids=itertools.count(engine_bench._next_id(Timer)),
    )
    for first in range(0, runs, RUN_CHUNK):
        batch = engine_bench.Batch([], [], [])
        for n in range(first, min(first + RUN_CHUNK, runs)):
            engine_bench._run_rows(ctx.first_run + n, clients[n % len(clients)], ctx, batch, rng)
        with transaction.atomic():
            engine_bench._write(Run, engine_bench.RUN_FIELDS, batch.runs)
            engine_bench._write(Task, engine_bench.TASK_FIELDS, batch.tasks)
            engine_bench._write(Timer, engine_bench.TIMER_FIELDS, batch.timers)
    engine_bench._after_load()


# What is measured -----------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    path: str
    api: bool = False


def _reader() -> Any:
    """An account manager of the demo in one business unit, so half the clients (the
    demo's own account-manager login works for both units)."""
    from django.db.models import Count

    from retainops.core.models import User

    return (
        User.objects.filter(roles__code=SIGNED_IN_AS, is_active=True)
        .exclude(username__startswith="bench.")
        .annotate(units=Count("business_units", distinct=True))
        .filter(units=1)
        .order_by("id")
        .first()
    )


def targets(reader: Any) -> list[Target]:
    """Every page the issue names, with the API call beside it where there is one."""
    from django.db.models import Count

    from retainops.clients.models import ServiceLine
    from retainops.clients.queries import visible_clients
    from retainops.playbooks.models import TimelineEvent

    mine = visible_clients(reader)
    # The client with the longest history among those the reader sees.
    busiest = (
        TimelineEvent.objects.filter(client__in=mine)
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    client_id = busiest["client_id"] if busiest else mine.order_by("id").first().pk
    pages = -(-mine.count() // _page_size())
    service = ServiceLine.objects.order_by("id").first()
    term = _common_word(mine)
    return [
        Target("static file (ceiling)", STATIC_PATH),
        Target("home", "/"),
        Target("clients: first page", "/clients/"),
        Target(f"clients: search '{term}'", f"/clients/?q={term}"),
        Target("clients: status=active", "/clients/?status=active"),
        Target("clients: sort by MRR", "/clients/?sort=-mrr"),
        Target("clients: owner filter", f"/clients/?owner={reader.pk}"),
        Target("clients: service filter", f"/clients/?service={service.pk}"),
        Target("clients: page 150", "/clients/?page=150"),
        Target(f"clients: last page ({pages})", f"/clients/?page={pages}"),
        Target("API clients", "/api/v1/clients", api=True),
        Target(f"API clients search '{term}'", f"/api/v1/clients?search={term}", api=True),
        Target("API clients sort by MRR", "/api/v1/clients?sort=-mrr", api=True),
        Target("a client's page (longest history)", f"/clients/{client_id}/"),
        Target("API a client", f"/api/v1/clients/{client_id}", api=True),
        Target("My work", "/work/"),
        Target("task list", "/work/tasks/"),
        Target("API tasks", "/api/v1/tasks", api=True),
        Target("planner", "/changes/planner/"),
        Target("API planner", "/api/v1/change-requests/planner", api=True),
        Target("onboarding board", "/onboarding/"),
        Target("API onboarding board", "/api/v1/onboarding/board", api=True),
        Target("changes list", "/changes/"),
        Target("API change requests", "/api/v1/change-requests", api=True),
        Target("outbox", "/messages/"),
        Target("API messages", "/api/v1/messages", api=True),
        Target("complaints", "/complaints/"),
        Target("API complaints", "/api/v1/complaints", api=True),
        Target("notifications", "/notifications/"),
        Target(f"search '{term}'", f"/search/?q={term}"),
        Target("voice", "/voice/"),
        Target("portfolio", "/portfolio/"),
        Target("health", "/health/"),
        Target("drops calendar", "/drops/"),
        Target("untouched clients", "/cadence/untouched/"),
    ]


def _page_size() -> int:
    from django.conf import settings

    return int(settings.PAGE_SIZE)


def _common_word(clients: Any) -> str:
    """A word many client names share (the demo's kinds of business), lower case."""
    words: dict[str, int] = {}
    for name in clients.order_by("id").values_list("name", flat=True)[:2000]:
        for word in name.split():
            if len(word) >= 4 and word.isalpha():
                words[word.lower()] = words.get(word.lower(), 0) + 1
    return max(words, key=lambda w: words[w]) if words else "dental"


# One request alone, in this process -------------------------------------------------------------


@contextmanager
def _sql_timer() -> Iterator[list[float]]:
    """Seconds spent in each SQL statement while the block runs."""
    from django.db import connection

    spent: list[float] = []

    def timed(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    with connection.execute_wrapper(timed):
        yield spent


def alone(target: Target, browser: Any, headers: dict[str, str], repeat: int) -> dict[str, Any]:
    """Median ms of one request at a time, of it SQL ms, and queries per request."""
    browser.get(target.path, headers=headers if target.api else {})  # warm-up
    totals, sql, queries, status = [], [], 0, 0
    for _ in range(repeat):
        with _sql_timer() as spent:
            started = time.perf_counter()
            response = browser.get(target.path, headers=headers if target.api else {})
            totals.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        sql.append(sum(spent) * 1000)
        queries = len(spent)
    return {
        "median_ms": round(statistics.median(totals), 1),
        "sql_ms": round(statistics.median(sql), 1),
        "queries": queries,
        "status": status,
    }


# The load, from outside -------------------------------------------------------------------------


@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms) or [0.0]

        def pick(share: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)

        return {
            "requests": len(self.latencies_ms),
            "p50_ms": pick(0.50),
            "p95_ms": pick(0.95),
            "p99_ms": pick(0.99),
            "per_s": round(len(self.latencies_ms) / self.seconds, 1) if self.seconds else 0.0,
            "errors": self.errors,
        }


async def _one_request(port: int, request: bytes) -> tuple[int, int]:
    """Send one request on a fresh connection (gunicorn's sync workers close each one) and
    read the whole answer; returns the status and the bytes read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await reader.read(-1)
    finally:
        writer.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, len(answer)


async def _drive(port: int, request: bytes, connections: int, seconds: float) -> Load:
    load = Load()
    stop = time.perf_counter() + seconds

    async def connection_loop() -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status, _size = await _one_request(port, request)
            except OSError as error:
                load.errors[type(error).__name__] = load.errors.get(type(error).__name__, 0) + 1
                continue
            load.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != 200:
                load.errors[str(status)] = load.errors.get(str(status), 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(connection_loop() for _ in range(connections)))
    load.seconds = time.perf_counter() - began
    return load


def _request(path: str, cookie: str, token: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"Cookie: {cookie}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# The server -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "EMAIL_TO_FILES": "true",
        "AXES_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def gunicorn(database_url: str, workers: int = 2) -> Iterator[int]:
    environment = _server_environment(database_url)
    subprocess.run(
        [str(Path(sys.executable).with_name("retainops")), "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "retainops.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--timeout", "120", "--backlog", "64"]
    server = subprocess.Popen(command, cwd=ROOT, env=environment)
    try:
        _wait_until_up(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start within 120 s")


# The run ---------------------------------------------------------------------------------------


def _signed_in(reader: Any) -> tuple[Any, str, str]:
    """A test client signed in as the reader, the same session as a cookie, and an API token."""
    from django.conf import settings
    from django.test import Client as Browser

    from retainops.core.models import ApiToken

    browser = Browser()
    browser.force_login(reader)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    _token, raw = ApiToken.issue(reader)
    return browser, f"{settings.SESSION_COOKIE_NAME}={session}", raw


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    from retainops.clients.models import Client
    from retainops.playbooks.models import Run, Task

    built: dict[str, float] = {}
    if _is_built(args.clients):
        call_command("migrate", verbosity=0)  # a kept data set takes the newer migrations
    else:
        print(f"building the data set ({args.clients:,} clients, {args.runs:,} runs)...")
        built = build(args.clients, args.runs)
    reader = _reader()
    browser, cookie, token = _signed_in(reader)
    chosen = [
        t for t in targets(reader) if t.path == STATIC_PATH or not args.only or args.only in t.name
    ]
    results: dict[str, Any] = {
        "engine": _engine(),
        "clients": Client.objects.count(),
        "visible": _visible_count(reader),
        "runs": Run.objects.count(),
        "tasks": Task.objects.count(),
        "reader_open_tasks": Task.objects.filter(assignee=reader, state="open").count(),
        "built": built,
        "connections": args.connections,
        "seconds": args.seconds,
        "pages": {},
    }
    api_headers = {"Authorization": f"Bearer {token}"}
    for target in chosen:
        single = None
        if target.path != STATIC_PATH:
            single = alone(target, browser, api_headers, args.repeat)
        results["pages"][target.name] = {"path": target.path, "alone": single}
    with gunicorn(os.environ["DATABASE_URL"]) as port:
        for target in chosen:
            request = _request(target.path, cookie, token if target.api else None)
            asyncio.run(_drive(port, request, 1, 0.5))  # warm the workers' caches
            load = asyncio.run(_drive(port, request, args.connections, args.seconds))
            results["pages"][target.name]["loaded"] = load.summary()
            print(_line(target.name, results["pages"][target.name]), flush=True)
    return results


def _engine() -> str:
    from django.db import connection

    return "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"


def _visible_count(reader: Any) -> int:
    from retainops.clients.queries import visible_clients

    return visible_clients(reader).count()


# The report ------------------------------------------------------------------------------------


def _line(name: str, figures: dict[str, Any]) -> str:
    loaded, single = figures["loaded"], figures["alone"]
    one = "-"
    if single:
        one = f"{single['median_ms']} ms ({single['sql_ms']} SQL, {single['queries']} q)"
    return (
        f"{name:40} p50 {loaded['p50_ms']:7} p95 {loaded['p95_ms']:7} p99 {loaded['p99_ms']:7} "
        f"{loaded['per_s']:7} req/s  alone {one}  errors {loaded['errors'] or '-'}"
    )


def table(results: dict[str, Any]) -> list[str]:
    static = results["pages"]["static file (ceiling)"]["loaded"]["per_s"] or 1
    lines = [
        f"### Pages under load on {results['engine']}: {results['clients']:,} clients, "
        f"{results['runs']:,} runs, {results['tasks']:,} tasks",
        "",
        f"gunicorn, 2 sync workers, DEBUG=false; {results['connections']} requests in flight for "
        f"{results['seconds']} s per page from an asyncio client on the same machine. Signed in "
        f"as an account manager of one of the demo's units, who sees "
        f"{results['visible']:,} clients and holds "
        f"{results['reader_open_tasks']:,} open tasks. *Alone*: one request at a time in the "
        "same process (median ms, of it in SQL, and queries). Throughput as a share of the "
        "static file's in the same run.",
        "",
        "| page | p50 ms | p95 ms | p99 ms | req/s | share of static | alone ms (SQL) | queries "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results["pages"].items():
        loaded, single = figures["loaded"], figures["alone"]
        share = f"{100 * loaded['per_s'] / static:.0f} %"
        one = f"{single['median_ms']} ({single['sql_ms']})" if single else "-"
        count = single["queries"] if single else "-"
        errors = ", ".join(f"{k}: {v}" for k, v in loaded["errors"].items()) or "-"
        lines.append(
            f"| {name} | {loaded['p50_ms']} | {loaded['p95_ms']} | {loaded['p99_ms']} "
            f"| {loaded['per_s']} | {share} | {one} | {count} | {errors} |"
        )
    built = results["built"]
    if built:
        lines += [
            "",
            f"Data set built in this run: seed_demo {built['seed_demo_s']} s, top-up "
            f"{built['top_up_s']} s, runs {built['runs_s']} s.",
        ]
    return lines


def section(results: dict[str, Any]) -> list[str]:
    """One engine's section of RESULTS.md, its heading the same from run to run."""
    return [
        f"## Pages under load on {results['engine']} (bench/load.py)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        *table(results),
        "",
    ]


def keep_in_results(lines: list[str]) -> None:
    """Replace this benchmark's section of bench/RESULTS.md (or add it)."""
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    heading = lines[0]
    before, found, after = text.partition(heading)
    if found:
        rest = after.split("\n## ", 1)
        after = "\n## " + rest[1] if len(rest) == 2 else ""
    new = before.rstrip("\n") + "\n\n" + "\n".join(lines).rstrip("\n") + "\n" + after
    path.write_text(new)


def default_sqlite_url(clients: int, runs: int) -> str:
    DATA.mkdir(exist_ok=True)
    return f"sqlite:///{DATA / f'load-{clients}-{runs}.sqlite3'}"


def _ensure_postgres_database(url: str) -> None:
    """Create the database named by the URL when it does not exist yet."""
    base, name = url.rsplit("/", 1)
    exists = subprocess.run(
        ["psql", f"{base}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file under bench/data/")
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=15, help="requests alone per page")
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    parser.add_argument("--report", action="store_true", help="keep the section in RESULTS.md")
    args = parser.parse_args()
    url = args.database_url or default_sqlite_url(args.clients, args.runs)
    if url.startswith("postgres"):
        _ensure_postgres_database(url)
    _setup_django(url)
    results = measure(args)
    if args.report:
        keep_in_results(section(results))
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
