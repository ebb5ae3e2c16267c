"""Domain events: a service says what happened; whoever cares listens.

An event is a frozen dataclass naming one fact (`ClientSold`, `ChangeRequestSubmitted`),
defined in the `events.py` of the app whose service makes it happen and emitted by that
service inside its transaction. The emitting app does not know who listens, so an app
lower in the layers can start a process of an app above it (the engine starts playbooks
on `client.sold`) without importing it.

Listeners subscribe in their app's `ready()` to an event class, or to a base class to
hear every kind below it, in one of two phases:

- `Phase.IN_TRANSACTION` runs inside `emit`, as part of the change: what must exist
  exactly when the change does (the playbook run a sale starts, its first messages).
  If the listener raises, the whole change rolls back.
- `Phase.AFTER_COMMIT` runs once the transaction has committed, and only then: what
  derives from the change (a score, a count) and must never undo it. A failing
  listener is logged and the others still run.

Every event class registers itself in `CATALOGUE` by its name; docs/events.md lists
them and a test keeps the two in step.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any, ClassVar

from django.db import transaction

log = logging.getLogger(__name__)


# Every event class by its name, filled as the classes are defined.
CATALOGUE: dict[str, type["DomainEvent"]] = {}


class Phase(StrEnum):
    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"


@dataclass(frozen=True, kw_only=True, eq=False)
class DomainEvent:
    """One thing that happened. `by` is the person whose action caused it (None when the
    system did it by itself, e.g. a timer or a client through the portal)."""

    name: ClassVar[str] = ""
    by: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            known = CATALOGUE.get(cls.name)
            if known is not None and known.__qualname__ != cls.__qualname__:
                raise TypeError(f"Two events are named {cls.name!r}: {known} and {cls}")
            CATALOGUE[cls.name] = cls


@dataclass(frozen=True, kw_only=True, eq=False)
class ProcessTrigger(DomainEvent):
    """An event playbooks can be started by (a playbook's `trigger:` names it).

    It names its subject (what the run is about, of a registered subject type) and the
    dates it supplies as anchors. `playbook` names the one playbook to start when the
    emitter has already chosen it (a change request's approval route); without it, every
    active playbook whose trigger is this event starts."""

    subject_type: ClassVar[str] = ""
    anchors: Mapping[str, datetime] = field(default_factory=dict)
    playbook: str | None = None

    @property
    def subject(self) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True, eq=False)
class ConfigurationChanged(DomainEvent):
    """An administrator saved or retired an entry of a catalogue or setting (a service
    line, a tool, a business unit, a change reason, an approval route...)."""

    name = "configuration.changed"
    entry: Any
    change: str


Listener = Callable[[Any], Any]
_LISTENERS: dict[Phase, list[tuple[type[DomainEvent], Listener]]] = {phase: [] for phase in Phase}


def listen(
    event_type: type[DomainEvent], listener: Listener, *, phase: Phase = Phase.IN_TRANSACTION
) -> None:
    """Call `listener(event)` for every event of `event_type` (or a subclass) emitted."""
    entry = (event_type, listener)
    if entry not in _LISTENERS[phase]:
        _LISTENERS[phase].append(entry)


def stop_listening(
    event_type: type[DomainEvent], listener: Listener, *, phase: Phase = Phase.IN_TRANSACTION
) -> None:
    """Undo `listen` (a test's listener, once the test is over)."""
    _LISTENERS[phase].remove((event_type, listener))


def listeners(event: DomainEvent, phase: Phase) -> list[Listener]:
    return [listener for kind, listener in _LISTENERS[phase] if isinstance(event, kind)]


def emit(event: DomainEvent) -> None:
    """Announce `event`: in-transaction listeners now, after-commit ones on commit.

    Emitted outside a transaction (autocommit), after-commit listeners run at once, as
    Django's on_commit does."""
    for listener in listeners(event, Phase.IN_TRANSACTION):
        listener(event)
    for listener in listeners(event, Phase.AFTER_COMMIT):
        transaction.on_commit(partial(_run_after_commit, listener, event))


def _run_after_commit(listener: Listener, event: DomainEvent) -> None:
    # What derives from a committed change must not hide it: log and go on.
    try:
        listener(event)
    except Exception:
        log.exception("after-commit listener %s failed on %s", listener, event.name)
