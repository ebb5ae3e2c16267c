"""The worker loop: every pass handles what is due now (messages today; timers later).

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

from retainops.messaging.delivery import DeliveryReport, drain, process_due


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_once(*, now: datetime) -> str:
    """Everything due at `now`, once (retainops tick)."""
    report = drain(now=now, worker=worker_name())
    return _summary(report)


def _summary(report: DeliveryReport) -> str:
    return f"messages: {report.sent} sent, {report.retried} to retry, {report.failed} failed" + (
        f", {report.skipped} skipped" if report.skipped else ""
    )


def run_forever(*, poll_seconds: float | None, stdout: Any) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    name = worker_name()
    poll = poll_seconds if poll_seconds is not None else settings.WORKER_POLL_SECONDS
    stdout.write(f"worker {name} started")
    while not stop.is_set():
        close_old_connections()
        report = process_due(now=timezone.now(), worker=name)
        if report.handled:
            stdout.write(_summary(report))
        else:
            stop.wait(poll)
    stdout.write(f"worker {name} stopped")
