"""Sources of due work for the worker.

Work that falls due lives in rows (outbox messages, timers), each owned by its
app. An app registers a source in its ``AppConfig.ready()``: a name, one sweep
over its due rows at an instant, the same repeated until nothing is due (for
``retainops tick``), and the line that reports what a sweep did. The worker
runs the sources in order each pass, knowing none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class SweepReport(Protocol):
    """What a sweep did; `handled` counts the rows it settled one way or another."""

    @property
    def handled(self) -> int: ...


Sweep = Callable[..., Any]


@dataclass(frozen=True)
class DueWorkSource:
    """Rows of one kind that the worker processes when they fall due.

    `sweep(now=, worker=)` does one batch; `drain(now=, worker=)` repeats until
    nothing is due at `now`. `describe(report)` gives the worker's line for a
    report, or None to stay silent. Lower `order` runs first in each pass, so a
    source whose work queues rows for another (a timer queues a reminder) goes
    before it and its output leaves in the same pass.
    """

    name: str
    order: int
    sweep: Sweep
    drain: Sweep
    describe: Callable[[Any], str | None]


_sources: dict[str, DueWorkSource] = {}


def register_source(source: DueWorkSource) -> None:
    """Have the worker run `source`; registering the same name again replaces it."""
    _sources[source.name] = source


def sources() -> list[DueWorkSource]:
    """Every registered source, in the order a pass runs them."""
    return sorted(_sources.values(), key=lambda s: (s.order, s.name))


def sweep_all(now: datetime, worker: str) -> list[tuple[DueWorkSource, SweepReport]]:
    """One pass: one sweep of every source at `now`, with each one's report."""
    return [(source, source.sweep(now=now, worker=worker)) for source in sources()]


def drain_all(now: datetime, worker: str) -> list[tuple[DueWorkSource, SweepReport]]:
    """Everything due at `now`, source after source, with each one's total."""
    return [(source, source.drain(now=now, worker=worker)) for source in sources()]
