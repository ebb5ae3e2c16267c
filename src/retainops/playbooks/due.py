"""Playbook timers as a source of due work: the worker fires what is due each pass."""

from datetime import datetime

from retainops.core.due_work import DueWorkSource
from retainops.playbooks.timers import TimerReport, fire_all_due, fire_due

# Before the outbox: a reminder a timer queues is delivered in the same pass.
TIMER_ORDER = 10


def describe(report: TimerReport) -> str | None:
    """The worker's line for timers, only when some fired or failed."""
    if not report.handled:
        return None
    return f"timers: {report.fired} fired, {report.failed} failed"


def _sweep(*, now: datetime, worker: str) -> TimerReport:
    # Timers are claimed by row locks in one transaction, so no worker name is kept.
    return fire_due(now=now)


def _drain(*, now: datetime, worker: str) -> TimerReport:
    return fire_all_due(now=now)


SOURCE = DueWorkSource(
    name="timers", order=TIMER_ORDER, sweep=_sweep, drain=_drain, describe=describe
)
