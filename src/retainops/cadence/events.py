"""What happens to contact plans, as domain events (see core/events.py).

Emitted by cadence/services.py and the sweep inside their transactions. The health
score (later) listens here rather than polling adherence."""

from dataclasses import dataclass

from retainops.cadence.models import Occurrence, PlanItem, Touchpoint
from retainops.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True, eq=False)
class PlanItemChanged(DomainEvent):
    """A plan item was added, edited, paused, resumed or ended (`change`); future
    occurrences were rewritten with it."""

    name = "cadence.plan_changed"
    item: PlanItem
    change: str


@dataclass(frozen=True, kw_only=True, eq=False)
class TouchpointRecorded(DomainEvent):
    """A contact with a client was recorded (by hand, through the API or from a message
    sent); `met` counts the planned occurrences it met."""

    name = "cadence.touchpoint_recorded"
    touchpoint: Touchpoint
    met: int


@dataclass(frozen=True, kw_only=True, eq=False)
class OccurrenceSettled(DomainEvent):
    """A planned contact was done, moved, skipped or missed (`occurrence.state`)."""

    name = "cadence.occurrence_settled"
    occurrence: Occurrence
