"""The worker loop: every pass runs each registered source of due work once, in
order (the playbook timers before the outbox, so a reminder a timer queues goes
out in the same pass). The sources are the apps' own (``core.due_work``); the
loop knows none of them.

Stopping (SIGTERM, SIGINT) finishes the batch in hand and exits; a SIGKILL
loses nothing either, since claimed messages become due again when their
lease runs out.
"""

import os
import signal
import socket
import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from retainops.core.due_work import DueWorkSource, SweepReport, drain_all, sweep_all


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_once(*, now: datetime) -> str:
    """Everything due at `now`, once (retainops tick)."""
    return _summary(drain_all(now, worker_name()))


def _summary(reports: list[tuple[DueWorkSource, SweepReport]]) -> str:
    """A line per source that has something to say, in the order they ran."""
    lines = [source.describe(report) for source, report in reports]
    return "\n".join(line for line in lines if line is not None)


def run_forever(*, poll_seconds: float | None, stdout: Any) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    name = worker_name()
    poll = poll_seconds if poll_seconds is not None else settings.WORKER_POLL_SECONDS
    stdout.write(f"worker {name} started")
    while not stop.is_set():
        close_old_connections()
        reports = sweep_all(timezone.now(), name)
        if any(report.handled for _source, report in reports):
            stdout.write(_summary(reports))
        else:
            stop.wait(poll)
    stdout.write(f"worker {name} stopped")
