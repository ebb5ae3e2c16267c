"""What happens to the client record, as domain events (see core/events.py).

Emitted by clients/services.py inside the change's transaction. Later apps (health,
cadence) listen to these rather than reading the record's history."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retainops.clients.models import Client, ClientTool, Contact, Contract
from retainops.core.events import DomainEvent, ProcessTrigger


@dataclass(frozen=True, kw_only=True, eq=False)
class ClientCreated(DomainEvent):
    """A client was recorded, by hand, through the API or by an import."""

    name = "client.created"
    client: Client


@dataclass(frozen=True, kw_only=True, eq=False)
class ClientSold(ProcessTrigger):
    """A client was sold now (recorded as a sale, or won back): sale playbooks start."""

    name = "client.sold"
    subject_type = "client"
    client: Client

    @property
    def subject(self) -> Client:
        return self.client


@dataclass(frozen=True, kw_only=True, eq=False)
class ClientUpdated(DomainEvent):
    """Fields of the client's record changed (their names in `fields`)."""

    name = "client.updated"
    client: Client
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, eq=False)
class ClientDeleted(DomainEvent):
    """A client entered by mistake was removed (its history rows stay)."""

    name = "client.deleted"
    client_id: int
    client_name: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ClientStatusChanged(DomainEvent):
    """The client moved along its life cycle (`transition`, e.g. 'pause', to `status`)."""

    name = "client.status_changed"
    client: Client
    transition: str
    status: str


@dataclass(frozen=True, kw_only=True, eq=False)
class TeamMemberAssigned(DomainEvent):
    """Someone now holds `role` on the client's team (`user` None: nobody does)."""

    name = "client.team_changed"
    client: Client
    role: str
    user: Any


@dataclass(frozen=True, kw_only=True, eq=False)
class ContactChanged(DomainEvent):
    """A contact of the client was added, updated or removed (`change`)."""

    name = "client.contact_changed"
    client: Client
    contact: Contact
    change: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ClientToolChanged(DomainEvent):
    """The client was set up in a tool, or taken out of it (`change`: added, removed)."""

    name = "client.tool_changed"
    client: Client
    entry: ClientTool
    change: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ContractRecorded(DomainEvent):
    """A contract was recorded with its service lines."""

    name = "contract.recorded"
    contract: Contract


@dataclass(frozen=True, kw_only=True, eq=False)
class ContractUpdated(DomainEvent):
    """Fields of a contract changed (their names in `fields`)."""

    name = "contract.updated"
    contract: Contract
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, eq=False)
class ContractStatusChanged(DomainEvent):
    """A contract was activated, paused, resumed, cancelled... (`transition`)."""

    name = "contract.status_changed"
    contract: Contract
    transition: str
    status: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ContractLineChanged(DomainEvent):
    """A service line of a contract was added, re-budgeted or removed (`change`);
    `monthly_budget` is the line's budget after it (0 when removed)."""

    name = "contract.line_changed"
    contract: Contract
    service: str
    change: str
    monthly_budget: Decimal
