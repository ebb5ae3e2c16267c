"""The outbox as a source of due work: the worker delivers what is due each pass."""

from datetime import datetime

from retainops.core.due_work import DueWorkSource
from retainops.messaging.delivery import DeliveryReport, drain, process_due

# After the timers (which may queue reminders), so those leave in the same pass.
DELIVERY_ORDER = 20


def describe(report: DeliveryReport) -> str:
    """The worker's line for the outbox, said every time (zeros included)."""
    return f"messages: {report.sent} sent, {report.retried} to retry, {report.failed} failed" + (
        f", {report.skipped} skipped" if report.skipped else ""
    )


def _sweep(*, now: datetime, worker: str) -> DeliveryReport:
    return process_due(now=now, worker=worker)


def _drain(*, now: datetime, worker: str) -> DeliveryReport:
    return drain(now=now, worker=worker)


SOURCE = DueWorkSource(
    name="messages", order=DELIVERY_ORDER, sweep=_sweep, drain=_drain, describe=describe
)
