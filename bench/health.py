"""Measure the daily health sweep; prints the figures as JSON and, with --report, appends
a table to bench/RESULTS.md.

  sweep      `health.sweep.drain` at one instant over every served client: batches of
             HEALTH_SNAPSHOT_BATCH clients, each signal read once per batch with one
             grouped query, the snapshots written in bulk.
  baseline   the same scores computed the naive way in the same run, on the same data:
             a loop over the clients asking every provider for one client at a time
             (what a per-client "compute my score" would do), nothing written.

The data: `--clients` clients (20,000 by default, 1,000 with --small) in two units, each
with a touchpoint in the last 60 days and one client in four with a complaint, half of
those breached; written with bulk inserts in a fresh SQLite database (or DATABASE_URL).

  python -m bench.health [--small] [--report]
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
BATCH = 5_000


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(count: int, seed: int = 7) -> float:
    from django.db import transaction

    from retainops.clients.models import Client
    from retainops.complaints.models import Complaint, ComplaintCategory
    from retainops.core.models import BusinessUnit, User

    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        units = [
            BusinessUnit.objects.get_or_create(code=code, defaults={"name": code})[0]
            for code in ("bench-north", "bench-south")
        ]
        clients = Client.objects.bulk_create(
            [Client(name=f"Client {i:06d}", business_unit=units[i % 2]) for i in range(count)],
            batch_size=BATCH,
        )
        Client.objects.filter(pk__in=[c.pk for c in clients]).update(status="active")
        from retainops.cadence.models import Touchpoint

        Touchpoint.objects.bulk_create(
            [
                Touchpoint(
                    client=c,
                    channel="call",
                    at=NOW - timedelta(days=rng.uniform(0, 60)),
                    source="logged",
                    summary="bench",
                )
                for c in clients
            ],
            batch_size=BATCH,
        )
        category = ComplaintCategory.objects.order_by("id").first()
        owner = User.objects.create(username="bench.am", email="am@bench.example")
        complaints = []
        for c in clients:
            if rng.random() >= 0.25:
                continue
            raised = NOW - timedelta(days=rng.uniform(1, 80))
            due = raised + timedelta(hours=8)
            answered = due + timedelta(hours=4) if rng.random() < 0.5 else raised
            complaints.append(
                Complaint(
                    client=c,
                    channel="phone",
                    severity="medium",
                    category=category,
                    summary="bench",
                    description="-",
                    owner=owner,
                    raised_at=raised,
                    acknowledged_at=answered,
                    resolved_at=answered + timedelta(days=1),
                    response_target_minutes=480,
                    resolution_target_minutes=4800,
                    warn_at_percent=80,
                    second_level_percent=150,
                    response_due_at=due,
                    resolution_due_at=raised + timedelta(days=10),
                )
            )
        Complaint.objects.bulk_create(complaints, batch_size=BATCH)
    return time.perf_counter() - started


def naive(as_of: datetime) -> tuple[float, dict[int, float]]:
    """Per client: its version, every provider for that one client, its score."""
    from retainops.health import signals
    from retainops.health.scoring import VersionFinder, score_one
    from retainops.health.sweep import served_clients

    started = time.perf_counter()
    finder = VersionFinder()
    scores = {}
    for client_id, unit_id in served_clients():
        version = finder.version_for(unit_id)
        if version is None:
            continue
        wanted = sorted(finder.signals_of([version]))
        values = signals.read_signals(wanted, [client_id], as_of=as_of)
        scores[client_id] = score_one(client_id, version, values).score
    return time.perf_counter() - started, scores


def swept(as_of: datetime) -> tuple[float, int, dict[int, float]]:
    from retainops.health.models import HealthSnapshot
    from retainops.health.sweep import drain

    started = time.perf_counter()
    report = drain(now=as_of)
    seconds = time.perf_counter() - started
    scores = dict(HealthSnapshot.objects.filter(day=as_of.date()).values_list("client_id", "score"))
    return seconds, report.snapshots, scores


def measure(count: int, database_url: str) -> dict[str, Any]:
    _setup(database_url)
    import time_machine
    from django.db import connection

    with time_machine.travel(NOW, tick=False):
        generated = generate(count)
        base_seconds, base_scores = naive(NOW)
        sweep_seconds, snapshots, sweep_scores = swept(NOW)
    return {
        "clients": count,
        "database": connection.vendor,
        "generate_s": round(generated, 1),
        "naive_s": round(base_seconds, 2),
        "sweep_s": round(sweep_seconds, 2),
        "snapshots": snapshots,
        "clients_per_s": round(snapshots / sweep_seconds) if sweep_seconds else None,
        "speed_up": round(base_seconds / sweep_seconds, 1) if sweep_seconds else None,
        # The two ways must agree, or the comparison means nothing.
        "same_scores": base_scores == sweep_scores,
    }


def _fresh_sqlite(count: int) -> str:
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    path = data / f"health-{count}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def report(figures: dict[str, Any]) -> str:
    return "\n".join(
        [
            "",
            f"### Health sweep on {figures['database']}: {figures['clients']:,} clients",
            "",
            "Baseline in the same run on the same data: a per-client loop over the same "
            "providers (nothing written). The sweep also writes every snapshot.",
            "",
            "| measure | seconds | clients/s |",
            "|---|---|---|",
            f"| naive per-client loop | {figures['naive_s']} | "
            f"{round(figures['clients'] / figures['naive_s']) if figures['naive_s'] else '-'} |",
            f"| health sweep (drain) | {figures['sweep_s']} | {figures['clients_per_s']} |",
            "",
            f"Speed-up {figures['speed_up']}x; both give the same scores: "
            f"{'yes' if figures['same_scores'] else 'NO'}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--small", action="store_true", help="1,000 clients")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--report", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    count = args.clients or (1_000 if args.small else 20_000)
    figures = measure(count, args.database_url or _fresh_sqlite(count))
    if args.report:
        with (HERE / "RESULTS.md").open("a") as results:
            results.write(report(figures))
    print(json.dumps(figures))
    if not figures["same_scores"]:
        sys.exit("the sweep and the per-client loop disagree")


if __name__ == "__main__":
    main()
