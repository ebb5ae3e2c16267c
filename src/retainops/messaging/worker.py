"""The worker loop: every pass fires the playbook timers that are due, then delivers the
outbox (so a reminder a timer queues goes out in the same pass).

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
from retainops.playbooks.timers import TimerReport, fire_all_due, fire_due


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_once(*, now: datetime) -> str:
    """Everything due at `now`, once (retainops tick)."""
    timers = fire_all_due(now=now)
    report = drain(now=now, worker=worker_name())
    return _summary(report, timers)


def _summary(report: DeliveryReport, timers: TimerReport) -> str:
    """One line for messages; a line for timers before it when any fired."""
    lines = [f"timers: {timers.fired} fired, {timers.failed} failed"] if timers.handled else []
    lines.append(
        f"messages: {report.sent} sent, {report.retried} to retry, {report.failed} failed"
        + (f", {report.skipped} skipped" if report.skipped else "")
    )
    return "\n".join(lines)


def run_forever(*, poll_seconds: float | None, stdout: Any) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    name = worker_name()
    poll = poll_seconds if poll_seconds is not None else settings.WORKER_POLL_SECONDS
    stdout.write(f"worker {name} started")
    while not stop.is_set():
        close_old_connections()
        now = timezone.now()
        timers = fire_due(now=now)
        report = process_due(now=now, worker=name)
        if report.handled or timers.handled:
            stdout.write(_summary(report, timers))
        else:
            stop.wait(poll)
    stdout.write(f"worker {name} stopped")
