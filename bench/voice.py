"""Measure the voice of the customer's figures for the health score; prints JSON.

`python -m bench.voice --report` runs a baseline and a target data set, each in a fresh
SQLite database in its own process, and appends the table to bench/RESULTS.md
(`--small` for short runs while developing):

  nps / csat / detractors / response rate   the set-based queries of voice/queries.py
      over 100 clients, and over every client, at a point in time. Their cost should
      follow the clients asked about, and their query count stay fixed.

The data: clients in two units, four quarterly NPS surveys and one CSAT survey per
client, two contacts invited each time, about 60% answering; written in bulk.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SIZES = [("baseline", 500), ("target", 10_000)]
SMALL = [("baseline", 100), ("target", 1_000)]
NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(count: int, seed: int = 11) -> list[int]:
    from retainops.clients.models import Client
    from retainops.core.models import BusinessUnit
    from retainops.voice.models import (
        Survey,
        SurveyAnswer,
        SurveyDefinition,
        SurveyInvitation,
    )

    rng = random.Random(seed)
    units = [BusinessUnit.objects.create(code=f"b{i}", name=f"Bench {i}") for i in range(2)]
    Client.objects.bulk_create(
        Client(name=f"Client {i}", business_unit=units[i % 2]) for i in range(count)
    )
    clients = list(Client.objects.values_list("pk", flat=True))
    nps = SurveyDefinition.objects.get(code="nps").current_version()
    csat = SurveyDefinition.objects.get(code="csat").current_version()
    plan = [(nps, NOW - timedelta(days=91 * q + 10)) for q in range(4)] + [
        (csat, NOW - timedelta(days=40))
    ]
    surveys = Survey.objects.bulk_create(
        Survey(version=v, client_id=c, sent_at=at) for c in clients for v, at in plan
    )
    invitations = SurveyInvitation.objects.bulk_create(
        SurveyInvitation(
            survey=s,
            email=f"c{s.client_id}.{n}@example.com",
            nonce=f"{s.pk:x}{n}",
            sent_at=s.sent_at,
            expires_at=s.sent_at + timedelta(days=14),
            answered_at=s.sent_at + timedelta(days=2) if rng.random() < 0.6 else None,
        )
        for s in surveys
        for n in range(2)
    )
    by_pk = {s.pk: s for s in surveys}
    answers = []
    for inv in invitations:
        if inv.answered_at is None:
            continue
        survey = by_pk[inv.survey_id]
        is_nps = survey.version_id == nps.pk  # type: ignore[union-attr]
        score = rng.randint(0, 10) if is_nps else rng.randint(1, 5)
        answers.append(
            SurveyAnswer(
                invitation=inv,
                survey=survey,
                client_id=survey.client_id,
                version_id=survey.version_id,
                values={"score": score},
                nps=score if is_nps else None,
                csat=None if is_nps else score,
                answered_at=inv.answered_at,
            )
        )
    SurveyAnswer.objects.bulk_create(answers, batch_size=5_000)
    return clients


def _time(call: Any, repeat: int) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    laps = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        laps.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        call()
    laps.sort()
    return {
        "median_ms": round(statistics.median(laps), 2),
        "p95_ms": round(laps[min(len(laps) - 1, int(len(laps) * 0.95))], 2),
        "queries": len(queries),
    }


def measure(count: int, repeat: int) -> dict[str, Any]:
    from retainops.voice import queries

    clients = generate(count)
    hundred = clients[:100]
    out: dict[str, Any] = {"clients": count}
    for name, query in (
        ("nps", queries.nps_by_client),
        ("csat", queries.csat_by_client),
        ("detractors", queries.detractors_by_client),
        ("response rate", queries.survey_response_rate_by_client),
    ):
        out[f"{name}: 100 clients"] = _time(lambda q=query: q(hundred, as_of=NOW), repeat)
        out[f"{name}: every client"] = _time(lambda q=query: q(clients, as_of=NOW), repeat)
    return out


def _table(baseline: dict[str, Any], target: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"### Voice figures on SQLite: {target['clients']:,} clients vs baseline "
        f"{baseline['clients']:,}",
        "",
        "| measure | median ms (baseline) | p95 ms (baseline) | queries | ratio |",
        "|---|---|---|---|---|",
    ]
    for key, value in target.items():
        if key == "clients":
            continue
        base = baseline[key]
        ratio = value["median_ms"] / base["median_ms"] if base["median_ms"] else 0
        lines.append(
            f"| {key} | {value['median_ms']} ({base['median_ms']}) | {value['p95_ms']} "
            f"({base['p95_ms']}) | {value['queries']} | {ratio:.1f}x |"
        )
    return lines


def _report(small: bool) -> None:
    results = {}
    for label, count in SMALL if small else SIZES:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            output = subprocess.run(
                [sys.executable, "-m", "bench.voice", "--count", str(count), "--url", url],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[label] = json.loads(output.strip().splitlines()[-1])
    lines = _table(results["baseline"], results["target"])
    print("\n".join(lines))
    with (Path(__file__).resolve().parent / "RESULTS.md").open("a") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int)
    parser.add_argument("--url")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    if args.report:
        _report(args.small)
        return
    _setup(args.url)
    print(json.dumps(measure(args.count, args.repeat)))


if __name__ == "__main__":
    main()
