"""What happens to change requests and their offboarding, as domain events
(see core/events.py). Emitted by changes/services.py and changes/subject.py."""

from dataclasses import dataclass

from retainops.changes.models import ChangeRequest, Removal, SaveAttempt
from retainops.core.events import DomainEvent, ProcessTrigger


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestEvent(DomainEvent):
    """Something happened to a change request (listen to this to hear every kind)."""

    request: ChangeRequest


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestRaised(ProcessTrigger, ChangeRequestEvent):
    """Raised the moment a client raises doubts or asks to change, with its escalation:
    the submission playbook starts (the save call, then the submission)."""

    name = "change_request.raised"
    subject_type = "change_request"

    @property
    def subject(self) -> ChangeRequest:
        return self.request


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestUpdated(ChangeRequestEvent):
    """A draft or returned request was changed (the fields named)."""

    name = "change_request.updated"
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, eq=False)
class SaveAttemptRecorded(ChangeRequestEvent):
    """A save call was made (its outcome and offer on `attempt`)."""

    name = "change_request.save_attempt_recorded"
    attempt: SaveAttempt


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestHandedOver(ChangeRequestEvent):
    """The retention team handed the request to an account manager to submit."""

    name = "change_request.handed_over"


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestSubmitted(ProcessTrigger, ChangeRequestEvent):
    """Submitted for approval: the approval chain its route names starts (`playbook`)."""

    name = "change_request.submitted"
    subject_type = "change_request"

    @property
    def subject(self) -> ChangeRequest:
        return self.request


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestWithdrawn(ChangeRequestEvent):
    """The client stayed, or it was raised by mistake: the request and its runs stop."""

    name = "change_request.withdrawn"
    reason: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestApproved(ChangeRequestEvent):
    """Every approval of its chain agreed (a cancellation is now notice given)."""

    name = "change_request.approved"


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestProcessed(ChangeRequestEvent):
    """Accounting processed the change in the records and billing."""

    name = "change_request.processed"


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeTookEffect(ChangeRequestEvent):
    """The effective date came and the client's record changed (cancelled, paused, or
    its contract lines), MRR before and after on the request."""

    name = "change_request.took_effect"


@dataclass(frozen=True, kw_only=True, eq=False)
class ChangeRequestReturned(ProcessTrigger, ChangeRequestEvent):
    """Rejected in its chain: back to its submitter with the reason; the submission
    playbook (`playbook`) starts again."""

    name = "change_request.returned"
    subject_type = "change_request"

    @property
    def subject(self) -> ChangeRequest:
        return self.request


@dataclass(frozen=True, kw_only=True, eq=False)
class RemovalRecorded(DomainEvent):
    """The offboarding of a tool moved (`removal.state`: removed, then verified)."""

    name = "change_request.removal_recorded"
    removal: Removal
