"""What happens to marketing drops, as domain events (see core/events.py).

Emitted by drops/services.py inside their transactions. A drop being planned starts
the readiness playbook (a ProcessTrigger); the surveys and the feedback meeting read
the results through drops/queries.py."""

from dataclasses import dataclass

from retainops.core.events import DomainEvent, ProcessTrigger
from retainops.drops.models import Drop, DropGate


@dataclass(frozen=True, kw_only=True, eq=False)
class DropEvent(DomainEvent):
    """Something happened to one drop."""

    drop: Drop


@dataclass(frozen=True, kw_only=True, eq=False)
class DropPlanned(ProcessTrigger, DropEvent):
    """A drop was put on the marketing calendar: its readiness playbook starts."""

    name = "drop.planned"
    subject_type = "drop"

    @property
    def subject(self) -> Drop:
        return self.drop


@dataclass(frozen=True, kw_only=True, eq=False)
class GatePassed(DropEvent):
    """A readiness gate of the drop was passed (`gate`)."""

    name = "drop.gate_passed"
    gate: DropGate


@dataclass(frozen=True, kw_only=True, eq=False)
class DropReady(DropEvent):
    """The drop was marked ready (`overridden`: with gates still open, for a reason)."""

    name = "drop.ready"
    overridden: bool


@dataclass(frozen=True, kw_only=True, eq=False)
class DropResultsRecorded(DropEvent):
    """Actual contacts or the drop's conversions, sales and customers were recorded."""

    name = "drop.results_recorded"
