"""What happens in the process engine, as domain events (see core/events.py).

Emitted by the engine and playbooks/services.py. The runs themselves are started by
events of the apps below (`ProcessTrigger`), which the engine listens to."""

from dataclasses import dataclass

from retainops.core.events import DomainEvent
from retainops.playbooks.models import PlaybookVersion, Run, Task


@dataclass(frozen=True, kw_only=True, eq=False)
class PlaybookPublished(DomainEvent):
    """A new version of a playbook was published (runs under way keep theirs)."""

    name = "playbook.published"
    version: PlaybookVersion


@dataclass(frozen=True, kw_only=True, eq=False)
class RunStarted(DomainEvent):
    """A playbook started on a subject (`run.trigger`: the event, or 'manual')."""

    name = "run.started"
    run: Run


@dataclass(frozen=True, kw_only=True, eq=False)
class RunEnded(DomainEvent):
    """A run ended: completed, ended by a rejection, or cancelled (`run.state`)."""

    name = "run.ended"
    run: Run


@dataclass(frozen=True, kw_only=True, eq=False)
class TaskOpened(DomainEvent):
    """A step became someone's to do (its assignee or queue on `task`)."""

    name = "task.opened"
    task: Task


@dataclass(frozen=True, kw_only=True, eq=False)
class TaskClosed(DomainEvent):
    """A step was completed, decided, skipped or cancelled (`transition`)."""

    name = "task.closed"
    task: Task
    transition: str


@dataclass(frozen=True, kw_only=True, eq=False)
class TaskReassigned(DomainEvent):
    """An open task was given to someone else."""

    name = "task.reassigned"
    task: Task


@dataclass(frozen=True, kw_only=True, eq=False)
class TaskCommented(DomainEvent):
    """Someone commented on a task."""

    name = "task.commented"
    task: Task


@dataclass(frozen=True, kw_only=True, eq=False)
class AnchorMoved(DomainEvent):
    """A date a run reckons from was set or moved (a launch slipped)."""

    name = "run.anchor_moved"
    run: Run
    anchor: str
