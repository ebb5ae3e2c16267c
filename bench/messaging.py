"""Measure the messaging core on one database; prints JSON figures.

Two modes, each run by bench/run_all.py in a fresh database:

  throughput  500 e-mails delivered to a local aiosmtpd server by one, then
              two, real `retainops worker` processes; messages per second
              from the commit that queues them until every row is `sent`.
  due         the claim query (`Message.objects.due(now)`, as claim_due runs
              it with limit 20) among N delivered rows plus 100 pending ones:
              median milliseconds and the query plan, which should read the
              partial index message_due_idx and so not grow with N.
"""

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

PENDING = 100
CHUNK = 100_000


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Throughput ----------------------------------------------------------------------------


def _queue(count: int) -> set[str]:
    from django.db import transaction

    from retainops.messaging.services import Outgoing, queue_message

    with transaction.atomic():
        return {
            queue_message(
                outgoing=Outgoing(
                    subject=f"Report {n}", body_text=f"Figures {n}.", to=[f"r{n}@bench.example"]
                ),
                client=None,
                cause="bench",
            ).message_id
            for n in range(count)
        }


def _deliver_with(workers: int, count: int, database_url: str) -> dict[str, Any]:
    """Start `workers` processes, wait until they are up, queue `count`, time to all sent."""
    from retainops.messaging.choices import MessageState
    from retainops.messaging.models import Message
    from retainops.messaging.testing import SmtpPeer, process_env, start_worker, wait_until

    Message.objects.all().delete()
    smtp = SmtpPeer().start()
    env = process_env(database_url, smtp, PYTHONUNBUFFERED="1")
    logs = [Path(tempfile.mkstemp(suffix=".log")[1]) for _ in range(workers)]
    processes = [start_worker(env, log, poll=0.05) for log in logs]
    try:
        if not wait_until(lambda: all("started" in p.read_text() for p in logs), timeout=60):
            raise RuntimeError([p.read_text() for p in logs])
        expected = _queue(count)
        started = time.perf_counter()
        sent = Message.objects.filter(state=MessageState.SENT)
        if not wait_until(lambda: sent.count() == count, timeout=300, interval=0.02):
            raise RuntimeError(f"only {sent.count()} of {count} sent")
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        smtp.stop()
        for log in logs:
            log.unlink(missing_ok=True)
    received = smtp.message_ids()
    exactly_once = set(received) == expected and set(received.values()) == {1}
    return {"seconds": elapsed, "per_second": count / elapsed, "exactly_once": exactly_once}


def throughput(database_url: str, count: int, repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {"messages": count, "runs": repeat}
    for workers in (1, 2):
        runs = [_deliver_with(workers, count, database_url) for _ in range(repeat)]
        results[f"workers_{workers}"] = {
            "per_second_median": round(statistics.median(r["per_second"] for r in runs), 1),
            "per_second_runs": [round(r["per_second"], 1) for r in runs],
            "exactly_once": all(r["exactly_once"] for r in runs),
        }
    return results


# Finding due messages ------------------------------------------------------------------

SQLITE_ROWS = """
WITH RECURSIVE seq(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM seq WHERE i < %s)
INSERT INTO messaging_message (uid, channel, state, cause, created_at, subject, body_text,
    body_html, from_email, attempts, max_attempts, next_attempt_at, claimed_by, last_error,
    sent_at)
SELECT printf('%%032x', i), 'email', 'sent', 'bench', ts, 'Report ' || i, 'Figures.', '',
    'bench@localhost', 1, 8, ts, 'bench', '', ts
FROM (SELECT i, datetime('2025-01-01', '+' || i || ' seconds') AS ts FROM seq)
"""

POSTGRES_ROWS = """
INSERT INTO messaging_message (uid, channel, state, cause, created_at, subject, body_text,
    body_html, from_email, attempts, max_attempts, next_attempt_at, claimed_by, last_error,
    sent_at)
SELECT md5(i::text)::uuid, 'email', 'sent', 'bench', ts, 'Report ' || i, 'Figures.', '',
    'bench@localhost', 1, 8, ts, 'bench', '', ts
FROM generate_series(%s, %s) AS i, LATERAL (SELECT '2025-01-01'::timestamptz
    + i * interval '1 second' AS ts) AS t
"""


def _insert_delivered(rows: int) -> float:
    """Write `rows` sent messages in chunks, generated by the database itself."""
    from django.db import connection, transaction

    sql = SQLITE_ROWS if connection.vendor == "sqlite" else POSTGRES_ROWS
    started = time.perf_counter()
    for first in range(1, rows + 1, CHUNK):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [first, min(first + CHUNK - 1, rows)])
    return time.perf_counter() - started


def _insert_pending(now: Any) -> None:
    from retainops.messaging.choices import MessageState
    from retainops.messaging.models import Message

    Message.objects.bulk_create(
        Message(
            channel="email",
            state=MessageState.QUEUED if n % 4 else MessageState.SENDING,
            cause="bench",
            subject=f"Pending {n}",
            body_text="Figures.",
            next_attempt_at=now - timedelta(minutes=n),
        )
        for n in range(PENDING)
    )


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "ANALYZE messaging_message")


def _claim_query(now: Any) -> Any:
    """The query claim_due runs: due rows, oldest timer first, locked where supported."""
    from retainops.messaging.delivery import due_for_claim

    return due_for_claim(now).values_list("id", flat=True)[:20]


def _median_ms(call: Any, repeat: int) -> float:
    call()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 3)


def _claim_and_undo(now: Any) -> None:
    """claim_due for real (the UPDATE too), rolled back so every repeat finds the same rows."""
    from django.db import transaction

    from retainops.messaging.delivery import claim_due

    with transaction.atomic():
        assert len(claim_due(now=now, worker="bench", limit=20)) == 20
        transaction.set_rollback(True)


def due(rows: int, repeat: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from retainops.messaging.models import Message

    inserted_s = _insert_delivered(rows)
    now = timezone.now()
    _insert_pending(now)
    _analyze()

    def query() -> None:
        with transaction.atomic():
            assert len(list(_claim_query(now))) == 20

    with transaction.atomic():
        plan = _claim_query(now).explain()
    return {
        "delivered_rows": Message.objects.filter(state="sent").count(),
        "pending_rows": PENDING,
        "insert_s": round(inserted_s, 1),
        "query_median_ms": _median_ms(query, repeat),
        "claim_median_ms": _median_ms(lambda: _claim_and_undo(now), repeat),
        "plan": plan,
        "uses_message_due_idx": "message_due_idx" in plan,
    }


# Report (called by bench/run_all.py) --------------------------------------------------

DUE_SIZES = [("baseline", 1_000), ("target", 1_000_000)]
UrlFor = Callable[[str], str | None]


def _throughput_table(engine: str, figures: dict[str, Any]) -> list[str]:
    lines = [
        f"### Message delivery on {engine}: {figures['messages']} e-mails to a local "
        "aiosmtpd server",
        "",
        f"| worker processes | messages/s (median of {figures['runs']}) | each run "
        "| every Message-ID received exactly once |",
        "|---|---|---|---|",
    ]
    for workers in (1, 2):
        row = figures[f"workers_{workers}"]
        runs = ", ".join(str(r) for r in row["per_second_runs"])
        once = "yes" if row["exactly_once"] else "NO"
        lines.append(f"| {workers} | {row['per_second_median']} | {runs} | {once} |")
    return lines


def _due_table(engine: str, baseline: dict[str, Any], target: dict[str, Any]) -> list[str]:
    used = "yes" if target["uses_message_due_idx"] else "NO"
    return [
        f"### Finding due messages on {engine}: {target['delivered_rows']:,} delivered vs "
        f"baseline {baseline['delivered_rows']:,} ({target['pending_rows']} pending)",
        "",
        f"| query | median ms at {target['delivered_rows']:,} (baseline) |",
        "|---|---|",
        f"| claim query: due rows, oldest first, LIMIT 20 | {target['query_median_ms']} "
        f"({baseline['query_median_ms']}) |",
        f"| claim_due(limit=20): the query and the UPDATE, rolled back "
        f"| {target['claim_median_ms']} ({baseline['claim_median_ms']}) |",
        "",
        f"{target['delivered_rows']:,} delivered rows written in {target['insert_s']} s. "
        f"Plan at {target['delivered_rows']:,} rows (message_due_idx used: {used}):",
        "",
        "```",
        target["plan"],
        "```",
    ]


def messaging_section(engines: list[tuple[str, UrlFor]], run: Callable[..., dict]) -> list[str]:
    """Markdown tables for every engine that has a database URL."""
    lines: list[str] = []
    for engine, url_for in engines:
        url = url_for("throughput")
        if url is None:
            continue
        delivered = run("throughput", "--database-url", url)
        dues = {}
        for label, rows in DUE_SIZES:
            due_url = url_for(f"due_{rows}")
            assert due_url is not None
            dues[label] = run(
                "due", "--database-url", due_url, "--rows", str(rows), "--repeat", "50"
            )
        lines += [*_throughput_table(engine, delivered), ""]
        lines += [*_due_table(engine, dues["baseline"], dues["target"]), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["throughput", "due"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _setup(args.database_url)
    if args.mode == "throughput":
        result = throughput(args.database_url, args.messages, args.repeat)
    else:
        result = due(args.rows, args.repeat)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
