"""Measure the contact plans on one data set; prints JSON figures.

Run once per data-set size, each in a fresh database (`python -m bench.cadence
--report` runs the baseline and the target itself and appends the table to
bench/RESULTS.md; bench/run_all.py includes it too):

  sweep       the occurrence sweep's queries and one whole pass (write-ahead of 100 plan
              items, 100 reminders, 100 misses), rolled back, among every other item
              already written up to the horizon: its cost should follow what is due,
              not what exists.
  adherence   queries.adherence for one client and for one account manager (who holds
              the same number of clients at every size) over 90 days, and the clients
              of one unit without a touchpoint for 30 days (a scan of the unit, so it
              grows with it).

The data: clients in two units, an account manager per 200 clients, two plan items per
client (a weekly e-mail, a monthly call), 90 days of settled occurrences with their
touchpoints, five weeks of planned ones ahead. Written with bulk inserts around a fixed
clock, so every repeat sees the same due rows.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PER_MANAGER = 200
DUE = 100
HISTORY_DAYS = 90
BATCH = 5_000
SIZES = [("baseline", 1_000), ("target", 20_000)]


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Data ----------------------------------------------------------------------------------


def _people_and_clients(count: int) -> tuple[list[Any], list[Any]]:
    from retainops.clients.models import Client, ClientTeamMember
    from retainops.core.models import BusinessUnit, Role, User

    units = [
        BusinessUnit.objects.get_or_create(code=code, defaults={"name": code})[0]
        for code in ("bench-north", "bench-south")
    ]
    role = Role.objects.get(code="account_manager")
    managers = []
    for index in range(max(count // PER_MANAGER, 1)):
        user = User.objects.create(username=f"bench.am{index}", email=f"am{index}@bench.example")
        user.roles.add(role)
        user.business_units.add(units[index % 2])
        managers.append(user)
    clients = Client.objects.bulk_create(
        [
            Client(name=f"Client {i:06d}", business_unit=units[(i // PER_MANAGER) % 2])
            for i in range(count)
        ],
        batch_size=BATCH,
    )
    Client.objects.filter(pk__in=[c.pk for c in clients]).update(status="active")
    ClientTeamMember.objects.bulk_create(
        [
            ClientTeamMember(client=c, role=role, user=managers[i // PER_MANAGER])
            for i, c in enumerate(clients)
        ],
        batch_size=BATCH,
    )
    return managers, clients


def generate(count: int, now: datetime, seed: int = 7) -> dict[str, float]:
    """Clients, plans, their past and their next five weeks; seconds taken."""

    from django.db import transaction

    from retainops.cadence.models import ContactKind, Occurrence, PlanItem, Touchpoint
    from retainops.cadence.recurrence import instants
    from retainops.cadence.services import horizon

    started = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        managers, clients = _people_and_clients(count)
        kinds = [ContactKind.objects.get(code="weekly-email"), ContactKind.objects.get(code="call")]
        rules = ["FREQ=WEEKLY;BYDAY=TU", "FREQ=MONTHLY;BYMONTHDAY=3"]
        start = (now - timedelta(days=HISTORY_DAYS + 7)).date()
        ahead = horizon(now)
        items = PlanItem.objects.bulk_create(
            [
                PlanItem(
                    client=c,
                    kind=kinds[k],
                    owner_role="account_manager",
                    rrule=rules[k],
                    channel=kinds[k].channel,
                    starts_on=start,
                    written_until=ahead,
                )
                for c in clients
                for k in (0, 1)
            ],
            batch_size=BATCH,
        )
        owner = {c.pk: managers[i // PER_MANAGER].pk for i, c in enumerate(clients)}
        moments = {
            k: instants(rules[k], start, items[k].at, now - timedelta(days=HISTORY_DAYS), ahead)
            for k in (0, 1)
        }
        touchpoints, occurrences = [], []
        for index, item in enumerate(items):
            kind = kinds[index % 2]
            for moment in moments[index % 2]:
                row = Occurrence(
                    item=item,
                    client_id=item.client_id,
                    business_unit_id=clients[index // 2].business_unit_id,
                    assignee_id=owner[item.client_id],
                    channel=item.channel,
                    revision=1,
                    scheduled_for=moment,
                )
                row.place(moment, kind)
                if row.late_until < now:
                    row.reminded_at = row.remind_at
                    if rng.random() < 0.85:
                        row.complete()
                        row.outcome, row.settled_at = "on_time", moment
                        tp = Touchpoint(
                            client_id=item.client_id,
                            channel=item.channel,
                            at=moment,
                            source="logged",
                            summary="bench",
                        )
                        touchpoints.append(tp)
                        row.touchpoint = tp
                    else:
                        row.miss()
                        row.settled_at = row.late_until
                elif row.remind_at < now:
                    row.reminded_at = row.remind_at
                occurrences.append(row)
        Touchpoint.objects.bulk_create(touchpoints, batch_size=BATCH)
        Occurrence.objects.bulk_create(occurrences, batch_size=BATCH)
        _make_due(items, now)
    return {"seconds": round(time.perf_counter() - started, 1)}


def _make_due(items: list[Any], now: datetime) -> None:
    """Exactly DUE items to write ahead, DUE reminders and DUE misses at `now`."""
    from retainops.cadence.models import Occurrence, PlanItem

    stale = [item.pk for item in items[:DUE]]
    PlanItem.objects.filter(pk__in=stale).update(written_until=now - timedelta(days=2))
    future = Occurrence.objects.filter(state="planned", due_at__gt=now + timedelta(days=3))
    remind = list(future.order_by("id").values_list("id", flat=True)[:DUE])
    Occurrence.objects.filter(pk__in=remind).update(remind_at=now - timedelta(minutes=5))
    ended = Occurrence.objects.filter(state="missed").order_by("id")
    # A missed occurrence whose miss has not been recorded yet: settled back to open.
    reopen = list(ended.values_list("id", flat=True)[:DUE])
    Occurrence.objects.filter(pk__in=reopen).update(state="planned", settled_at=None)


# Measuring -----------------------------------------------------------------------------


def _time(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Median and p95 ms of `repeat` calls after a warm-up, and SQL queries per call."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call()
    samples, counts = [], []
    for _ in range(repeat):
        # Django keeps the last 9,000 queries only: start each call from an empty log.
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


def _undone(action: Callable[[], Any]) -> Callable[[], Any]:
    from django.db import transaction

    def run() -> None:
        with transaction.atomic():
            action()
            transaction.set_rollback(True)

    return run


def measure(count: int, repeat: int) -> dict[str, Any]:
    from django.utils import timezone

    from retainops.cadence import queries, sweep
    from retainops.cadence.models import Occurrence, Touchpoint
    from retainops.clients.models import Client
    from retainops.core.models import BusinessUnit, User

    now = timezone.now().replace(microsecond=0)
    generated = generate(count, now)
    client = Client.objects.order_by("id").first()
    manager = User.objects.get(username="bench.am0")
    unit = BusinessUnit.objects.get(code="bench-north")
    due_items = sweep.items_to_write(now)
    reminders = Occurrence.objects.filter(
        settled_at__isnull=True, reminded_at__isnull=True, remind_at__lte=now
    )
    return {
        "clients": count,
        "occurrences": Occurrence.objects.count(),
        "touchpoints": Touchpoint.objects.count(),
        "generated": generated,
        "due": {"items": due_items.count(), "reminders": reminders.count()},
        "sweep": {
            "items query": _time(lambda: list(due_items.order_by("id")[:20]), repeat),
            "reminders query": _time(lambda: list(reminders.order_by("remind_at")[:20]), repeat),
            "whole pass": _time(_undone(lambda: sweep.sweep(now=now, limit=DUE)), repeat),
        },
        "adherence": {
            "client 90 days": _time(lambda: queries.adherence(client, 90, now=now), repeat),
            "manager 90 days": _time(lambda: queries.adherence(manager, 90, now=now), repeat),
            "unit untouched 30 days": _time(
                lambda: queries.clients_without_touch(30, unit=unit, now=now).count(), repeat
            ),
        },
    }


# Report --------------------------------------------------------------------------------


def section(engines: list[tuple[str, Callable[[str], str | None]]], run: Callable) -> list[str]:
    """Markdown tables for every engine that has a database URL."""
    lines: list[str] = []
    for engine, url_for in engines:
        results = {}
        for label, count in SIZES:
            url = url_for(str(count))
            if url is None:
                break
            results[label] = run("--clients", str(count), "--database-url", url)
        if len(results) == len(SIZES):
            lines += [*_table(engine, results["baseline"], results["target"]), ""]
    return lines


def _table(engine: str, baseline: dict[str, Any], target: dict[str, Any]) -> list[str]:
    lines = [
        f"### Contact plans on {engine}: {target['clients']:,} clients "
        f"({target['occurrences']:,} occurrences) vs baseline {baseline['clients']:,} "
        f"({baseline['occurrences']:,})",
        "",
        f"{DUE} plan items to write ahead, {DUE} reminders and {DUE} misses due in both.",
        "",
        "| measure | median ms (baseline) | p95 ms (baseline) | queries | ratio |",
        "|---|---|---|---|---|",
    ]
    for group in ("sweep", "adherence"):
        for name, figures in target[group].items():
            base = baseline[group][name]
            ratio = figures["median_ms"] / base["median_ms"] if base["median_ms"] else 0
            lines.append(
                f"| {group}: {name} | {figures['median_ms']} ({base['median_ms']}) "
                f"| {figures['p95_ms']} ({base['p95_ms']}) | {figures['queries']} "
                f"| {ratio:.1f}x |"
            )
    return lines


def _report() -> None:
    """Baseline and target in this run, each in a fresh SQLite database (and PostgreSQL
    when BENCH_POSTGRES_URL is set); the tables printed and appended to RESULTS.md."""
    import subprocess

    from bench.run_all import _postgres_url, _sqlite_url

    here = Path(__file__).resolve().parent

    def run(*args: str) -> dict:
        command = [sys.executable, "-m", "bench.cadence", *args]
        done = subprocess.run(command, cwd=here.parent, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    engines = [
        ("SQLite", lambda label: _sqlite_url(label, prefix="cadence")),
        ("PostgreSQL", lambda label: _postgres_url(label, prefix="retainops_bench_cadence")),
    ]
    text = "\n".join(section(engines, run))
    print(text)
    with (here / "RESULTS.md").open("a") as results:
        results.write("\n" + text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--report", action="store_true", help="baseline and target, appended")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if args.report:
        _report()
        return
    _setup(args.database_url)
    print(json.dumps(measure(args.clients, args.repeat)))


if __name__ == "__main__":
    main()
