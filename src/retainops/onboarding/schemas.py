"""Schemas of the onboarding API: what staff send and read about programs, their purchase
orders, proofs, portal links, the board and the order requirements; and what the client's
portal shows and takes.

An answer's fields that need more than an attribute (the portal link's URL, the details
still missing, the onboarding run) are resolved here, from the row the endpoint returns.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, BeforeValidator, Field

from retainops.core.schemas import Id
from retainops.messaging.models import Meeting
from retainops.onboarding import portal, queries, requirements
from retainops.onboarding.choices import DetailKind, ProgramStatus
from retainops.onboarding.models import DetailRequirement, PortalLink, Program, Proof, ProofVersion


def _number_as_text(value: Any) -> Any:
    # A number may be sent as a JSON number; it is stored as text like every detail.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


# A detail's value as sent (text, a number or null); the requirement's kind decides
# what is acceptable.
DetailValue = Annotated[str | None, BeforeValidator(_number_as_text)]


# What staff send ------------------------------------------------------------------------


class ProgramLineIn(Schema):
    service: str = Field(description="Code of the service line")
    monthly_budget: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class ProgramIn(Schema):
    client: Id = Field(description="Id of the client")
    name: str = Field(max_length=200)
    start_date: date = Field(description="First day of the flight")
    end_date: date = Field(description="Last day of the flight")
    go_live_at: AwareDatetime | None = Field(
        None, description="Planned go-live: ISO date and time with its offset"
    )
    lines: list[ProgramLineIn]
    details: dict[str, DetailValue] = Field(
        default_factory=dict, description="Purchase order so far: requirement key -> value"
    )


class ProgramQuery(Schema):
    client: Id | None = Field(None, description="Id of the client")
    status: ProgramStatus | None = None


class OrderIn(Schema):
    details: dict[str, DetailValue] = Field(
        description="Requirement key -> value; an empty value clears the detail"
    )


class GoLiveIn(Schema):
    at: AwareDatetime = Field(description="Planned go-live: ISO date and time with its offset")


class LinesIn(Schema):
    lines: list[ProgramLineIn]


class RequirementIn(Schema):
    service: str | None = Field(None, description="Code of the service; null for every program")
    key: str = Field(description="Names the detail in orders and the API: letters, digits, - and _")
    label: str
    kind: str = Field(
        DetailKind.TEXT,
        description="One of: " + ", ".join(DetailKind.values),
    )
    choices: list[str] = Field(default_factory=list, description="For kind 'choice'")
    help_text: str = ""
    required: bool = Field(True, description="Required before the work can start")
    position: int = Field(0, description="Order among the service's details")


class RequirementPatch(Schema):
    """Only the fields sent change; a null service means every program."""

    service: str | None = Field(None, description="Code of the service; null for every program")
    key: str | None = None
    label: str | None = None
    kind: str | None = None
    choices: list[str] | None = None
    help_text: str | None = None
    required: bool | None = None
    position: int | None = None


# What staff read ------------------------------------------------------------------------


class ProgramClientOut(Schema):
    id: int
    name: str


class ProgramLineOut(Schema):
    service: str = Field(alias="service.code")
    service_name: str = Field(alias="service.name")
    monthly_budget: Decimal


class FlightOut(Schema):
    start_date: date
    end_date: date


class MissingOut(Schema):
    key: str
    label: str
    service: str = Field(description="Name of the service that needs it, or 'Every program'")


class PortalLinkOut(Schema):
    id: int
    url: str = Field(description="The link to give the client (it carries the signed token)")
    expires_at: datetime

    @staticmethod
    def resolve_url(obj: PortalLink) -> str:
        return portal.url_for(obj)


class PortalLinkDetailOut(PortalLinkOut):
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    usable: bool = Field(alias="is_usable")

    @staticmethod
    def resolve_created_by(obj: PortalLink) -> str | None:
        return obj.created_by.username if obj.created_by else None


class ProofVersionOut(Schema):
    id: int
    proof: int = Field(alias="proof_id")
    number: int
    filename: str
    content_type: str
    note: str
    uploaded_by: str = Field(alias="uploaded_by.username")
    uploaded_at: datetime
    decision: str = Field(description="pending, approved or changes")
    comment: str
    decided_by: str = Field(description="The contact who decided")
    decided_at: datetime | None


class ProofOut(Schema):
    id: int
    kind: str
    title: str
    versions: list[ProofVersionOut] = Field(description="Newest first")

    @staticmethod
    def resolve_versions(obj: Proof) -> list[ProofVersion]:
        return list(obj.versions.all())


class ProgramSummaryOut(Schema):
    id: int
    name: str
    client: ProgramClientOut
    status: str
    flight: FlightOut
    sold_at: datetime | None
    go_live_at: datetime | None = Field(description="Planned go-live; the actual one once live")
    went_live_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_flight(obj: Program) -> dict[str, date]:
        return {"start_date": obj.start_date, "end_date": obj.end_date}


class ProgramOut(ProgramSummaryOut):
    sold_by: str | None
    lines: list[ProgramLineOut]
    details: dict[str, str] = Field(description="The purchase order: requirement key -> value")
    missing: list[MissingOut] = Field(description="Required details the order does not hold")
    portal_links: list[PortalLinkDetailOut]
    proofs: list[ProofOut]
    onboarding_run: int | None = Field(description="Id of the program's onboarding run")

    @staticmethod
    def resolve_sold_by(obj: Program) -> str | None:
        return obj.sold_by.username if obj.sold_by else None

    @staticmethod
    def resolve_lines(obj: Program) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_missing(obj: Program) -> list[requirements.Missing]:
        return requirements.missing_details(obj)

    @staticmethod
    def resolve_portal_links(obj: Program) -> list[PortalLink]:
        return list(obj.portal_links.all())

    @staticmethod
    def resolve_proofs(obj: Program) -> list[Proof]:
        return list(obj.proofs.all())

    @staticmethod
    def resolve_onboarding_run(obj: Program) -> int | None:
        run = queries.onboarding_run(obj)
        return run.pk if run else None


class ProgramRefOut(Schema):
    id: int
    name: str


class CardOut(Schema):
    program: ProgramRefOut
    client: ProgramClientOut = Field(alias="program.client")
    owner: str = Field(description="Who holds the program's earliest open step")
    age_days: int = Field(description="Days since the sale")
    late: bool = Field(description="An open step is past due")
    stuck: bool = Field(description="No step done for a while")


class TimingsOut(Schema):
    programs: int
    median_days_to_live: float | None
    median_days_to_step: dict[str, float] = Field(description="Step title -> median days")


class BoardOut(Schema):
    columns: list[str] = Field(description="Titles of the steps programs wait on, in order")
    cards: dict[str, list[CardOut]] = Field(description="Column -> its programs")
    timings: TimingsOut


class RequirementOut(Schema):
    id: int
    key: str
    label: str
    kind: str
    service: str | None = Field(description="Code of the service; null for every program")
    required: bool
    choices: list[str]
    help_text: str
    position: int

    @staticmethod
    def resolve_service(obj: DetailRequirement) -> str | None:
        return obj.service.code if obj.service else None


# The client's portal --------------------------------------------------------------------


class PortalVersionOut(Schema):
    id: int = Field(description="Id to decide on")
    number: int
    filename: str
    note: str
    uploaded_at: datetime
    decision: str = Field(description="pending, approved or changes")
    comment: str
    decided_by: str
    decided_at: datetime | None


class PortalProofOut(Schema):
    kind: str
    title: str
    latest: PortalVersionOut | None

    @staticmethod
    def resolve_latest(obj: Proof) -> ProofVersion | None:
        return next(iter(obj.versions.all()), None)


class PortalMeetingOut(Schema):
    title: str
    starts_at: datetime
    ends_at: datetime


class PortalProgramOut(Schema):
    name: str
    client: str = Field(alias="client.name")
    flight: FlightOut
    go_live_at: datetime | None
    open_steps: list[str] = Field(
        description="Client-facing titles of the onboarding steps under way (internal ones "
        "are not named)"
    )
    missing: list[MissingOut]
    proofs: list[PortalProofOut]
    meetings: list[PortalMeetingOut] = Field(description="Meetings to come with the client")

    @staticmethod
    def resolve_flight(obj: Program) -> dict[str, date]:
        return {"start_date": obj.start_date, "end_date": obj.end_date}

    @staticmethod
    def resolve_open_steps(obj: Program) -> list[str]:
        return queries.client_steps(obj)[0]

    @staticmethod
    def resolve_missing(obj: Program) -> list[requirements.Missing]:
        return requirements.missing_details(obj)

    @staticmethod
    def resolve_proofs(obj: Program) -> list[Proof]:
        return list(obj.proofs.all())

    @staticmethod
    def resolve_meetings(obj: Program) -> list[Meeting]:
        return queries.client_meetings(obj)


class ContactIn(Schema):
    contact: str = Field(
        min_length=1, max_length=200, description="Name or e-mail of the contact acting"
    )


class PortalDetailsIn(ContactIn):
    details: dict[str, DetailValue] = Field(description="Requirement key -> value")


class PortalDecisionIn(ContactIn):
    decision: Literal["approved", "changes"]
    comment: str = Field("", description="Required when sending the proof back")
