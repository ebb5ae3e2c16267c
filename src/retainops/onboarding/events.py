"""What happens to programs, their orders, proofs and portal links, as domain events
(see core/events.py). Emitted by onboarding/services.py and onboarding/subject.py."""

from dataclasses import dataclass

from retainops.core.events import DomainEvent, ProcessTrigger
from retainops.onboarding.models import PortalLink, Program, ProofVersion


@dataclass(frozen=True, kw_only=True, eq=False)
class ProgramEvent(DomainEvent):
    """Something happened to a program (listen to this to hear every kind)."""

    program: Program


@dataclass(frozen=True, kw_only=True, eq=False)
class ProgramCreated(ProgramEvent):
    """A program was recorded (a draft until sold) with its order so far."""

    name = "program.created"


@dataclass(frozen=True, kw_only=True, eq=False)
class ProgramOrderChanged(ProgramEvent):
    """Purchase-order details or service lines changed (by staff or the client)."""

    name = "program.order_changed"


@dataclass(frozen=True, kw_only=True, eq=False)
class ProgramSold(ProcessTrigger, ProgramEvent):
    """The order is signed: onboarding playbooks start."""

    name = "program.sold"
    subject_type = "program"

    @property
    def subject(self) -> Program:
        return self.program


@dataclass(frozen=True, kw_only=True, eq=False)
class GoLivePlanned(ProgramEvent):
    """The planned go-live was set or moved; the dates hanging on it moved too."""

    name = "program.go_live_planned"


@dataclass(frozen=True, kw_only=True, eq=False)
class ProgramWentLive(ProgramEvent):
    """The campaign went live (its go-live step done)."""

    name = "program.went_live"


@dataclass(frozen=True, kw_only=True, eq=False)
class PortalLinkChanged(ProgramEvent):
    """A portal link was issued, sent to the client's contacts or revoked (`change`)."""

    name = "program.portal_link_changed"
    link: PortalLink | None
    change: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ProofUploaded(ProgramEvent):
    """A version of a creative or targeting proof awaits the client's decision."""

    name = "program.proof_uploaded"
    version: ProofVersion


@dataclass(frozen=True, kw_only=True, eq=False)
class ProofDecided(ProgramEvent):
    """The client approved a proof or sent it back (`version.decision`)."""

    name = "program.proof_decided"
    version: ProofVersion
