"""What happens to complaints, their clocks and themes, as domain events (see
core/events.py). Emitted by complaints/services.py, notices.py and themes.py."""

from dataclasses import dataclass

from retainops.complaints.models import Complaint, ImprovementAction, Theme
from retainops.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True, eq=False)
class ComplaintEvent(DomainEvent):
    """Something happened to a complaint (listen to this to hear every kind)."""

    complaint: Complaint


@dataclass(frozen=True, kw_only=True, eq=False)
class ComplaintRaised(ComplaintEvent):
    """A client complained: logged by staff or through the API, its clocks started."""

    name = "complaint.raised"


@dataclass(frozen=True, kw_only=True, eq=False)
class ComplaintAcknowledged(ComplaintEvent):
    """The first response was given: the first-response clock stopped."""

    name = "complaint.acknowledged"


@dataclass(frozen=True, kw_only=True, eq=False)
class ComplaintStatusChanged(ComplaintEvent):
    """The complaint moved along its life cycle (`transition`, e.g. 'wait_on_client')."""

    name = "complaint.status_changed"
    transition: str
    status: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ComplaintResolved(ComplaintEvent):
    """Resolved with its root cause (and any improvement actions it spawned)."""

    name = "complaint.resolved"


@dataclass(frozen=True, kw_only=True, eq=False)
class ComplaintReassigned(ComplaintEvent):
    """Someone else owns the complaint now."""

    name = "complaint.reassigned"


@dataclass(frozen=True, kw_only=True, eq=False)
class ClockAlerted(ComplaintEvent):
    """A service-level clock told someone: the owner before the breach, the team lead at
    it, the department manager at the second level (`clock`, `level`)."""

    name = "complaint.clock_alerted"
    clock: str
    level: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ImprovementActionChanged(DomainEvent):
    """An improvement action was added to a resolved complaint, or done (`change`)."""

    name = "complaint.action_changed"
    action: ImprovementAction
    change: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ThemeSpreading(DomainEvent):
    """A recurring theme reached the configured number of clients within its window: the
    operations lead was told."""

    name = "complaint.theme_spreading"
    theme: Theme
    clients: int
