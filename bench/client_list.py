"""Time the client list (page and API) on one data set; prints JSON figures.

Run through bench/run_all.py, which runs this once per data-set size in
separate databases and compares them. Each case is requested `repeat` times
after one warm-up; figures are the median and 95th percentile in milliseconds
and the number of SQL queries per request.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

CASES = {
    "first page": {},
    "search 'dental'": {"q": "dental"},
    "status=active": {"status": "active"},
    "sort by MRR": {"sort": "-mrr"},
    "owner filter": {"owner": "__owner__"},
    "service filter": {"service": "__service__"},
    "page 150": {"page": "150"},
}


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ["DEBUG"] = "true"
    import django

    django.setup()


def _time(call, repeat: int) -> dict[str, float]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up
    samples = []
    with CaptureQueriesContext(connection) as queries:
        reset_queries()
        for _ in range(repeat):
            started = time.perf_counter()
            response = call()
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "queries": len(queries.captured_queries) // repeat,
    }


def measure(count: int, repeat: int) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient

    from bench.generate import generate
    from retainops.clients.models import Client, ServiceLine
    from retainops.core.models import ApiToken, User

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not Client.objects.exists():
        generate(count)
        # A database in service has planner statistics (autovacuum, or SQLite's
        # ANALYZE); freshly bulk-loaded tables do not, so gather them once.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    generated_s = round(time.perf_counter() - started, 1)
    reader = User.objects.get(username="bench.account_manager.bench-north.0")
    page_client = HttpClient()
    page_client.force_login(reader)
    _token, raw = ApiToken.issue(reader)
    api_headers = {"Authorization": f"Bearer {raw}"}
    service = ServiceLine.objects.get(code="seo")
    results: dict = {"clients": Client.objects.count(), "generate_s": generated_s, "cases": {}}
    for name, params in CASES.items():
        page_params = {k: v for k, v in params.items()}
        api_params = {("search" if k == "q" else k): v for k, v in params.items()}
        if "owner" in params:
            page_params["owner"] = str(reader.pk)
            api_params["owner"] = reader.username
        if "service" in params:
            page_params["service"] = str(service.pk)
            api_params["service"] = service.code
        results["cases"][name] = {
            "page": _time(lambda p=page_params: page_client.get("/clients/", p), repeat),
            "api": _time(
                lambda p=api_params: page_client.get("/api/v1/clients", p, headers=api_headers),
                repeat,
            ),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _setup(args.database_url)
    print(json.dumps(measure(args.clients, args.repeat)))


if __name__ == "__main__":
    main()
