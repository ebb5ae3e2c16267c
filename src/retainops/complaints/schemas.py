"""Schemas of the complaints API: what callers send to raise and move complaints, resolve
them and track improvement actions, keep service levels and business hours; and what
they read back, each complaint with where its clocks stand.

An answer's fields that need more than an attribute (usernames, codes, the clocks read
at the moment of the answer) are resolved here, from the row the endpoint returns.
"""

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from retainops.complaints.choices import ComplaintChannel, ComplaintStatus, Severity
from retainops.complaints.clocks import ClockReading, clock_reading, read_clock
from retainops.complaints.models import Complaint, ImprovementAction
from retainops.core.models import User
from retainops.core.schemas import Id

# What callers send ----------------------------------------------------------------------


# A service level longer than a year of business minutes is a typo.
MAX_MINUTES = 60 * 24 * 365


class ComplaintIn(Schema):
    client: Id = Field(description="Id of the client")
    channel: ComplaintChannel
    severity: Severity
    category: str = Field(description="Code of the category (GET /complaint-categories)")
    summary: str = Field(max_length=200)
    description: str
    contact: Id | None = Field(None, description="Id of one of the client's contacts")
    owner: str | None = Field(None, description="Username; empty: the account manager")


class ComplaintQuery(Schema):
    status: ComplaintStatus | None = None
    severity: Severity | None = None
    client: Id | None = Field(None, description="Id of the client")
    theme: Id | None = Field(None, description="Id of a recurring theme")
    open: bool = Field(False, description="Only complaints not yet resolved")
    mine: bool = Field(False, description="Only complaints I own")
    search: str = Field("", description="Words of the summary, description or client name")


class NoteIn(Schema):
    note: str = ""


class ActionIn(Schema):
    title: str = Field(max_length=200)
    owner: str = Field(description="Username of who makes the change")
    due_date: date


class ResolveIn(Schema):
    root_cause: str | None = Field(None, description="Code of the root cause (GET /root-causes)")
    resolution: str = ""
    actions: list[ActionIn] = Field(default_factory=list)


class ReopenIn(Schema):
    reason: str


class ComplaintReassignIn(Schema):
    owner: str = Field(description="Username")


class PolicyIn(Schema):
    business_unit: Id | None = Field(None, description="Id of the unit; empty: every unit")
    severity: Severity
    first_response_minutes: int = Field(ge=1, le=MAX_MINUTES, description="Business minutes")
    resolution_minutes: int = Field(ge=1, le=MAX_MINUTES, description="Business minutes")
    warn_at_percent: int = Field(75, ge=1, le=1000)
    second_level_percent: int = Field(150, ge=1, le=1000)


class PolicyPatch(Schema):
    first_response_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    resolution_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    warn_at_percent: int | None = Field(None, ge=1, le=1000)
    second_level_percent: int | None = Field(None, ge=1, le=1000)


class CalendarIn(Schema):
    time_zone: str
    working_days: list[int] = Field(description="ISO weekdays, 1 is Monday")
    opens_at: time
    closes_at: time
    holiday_country: str = Field("", description="ISO country code, e.g. GB")
    holiday_subdivision: str = ""


# What callers read ----------------------------------------------------------------------


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


class ClockOut(Schema):
    clock: str
    state: str = Field(description="running, paused, breached or met")
    target_minutes: int
    used_minutes: float
    left_minutes: float = Field(description="Business minutes left; negative once breached")
    due_at: datetime | None = Field(description="When it breaches; empty while paused")

    @staticmethod
    def resolve_used_minutes(obj: ClockReading) -> float:
        return round(obj.used_minutes, 1)

    @staticmethod
    def resolve_left_minutes(obj: ClockReading) -> float:
        return round(obj.left_minutes, 1)


class ActionOut(Schema):
    id: int
    complaint: int = Field(alias="complaint_id")
    title: str
    owner: str | None
    due_date: date
    state: str
    done_at: datetime | None

    @staticmethod
    def resolve_owner(obj: ImprovementAction) -> str | None:
        return _username(obj.owner)


class ComplaintOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    client_name: str
    contact: int | None = Field(alias="contact_id")
    channel: str
    severity: str
    category: str
    summary: str
    description: str
    status: str
    owner: str | None
    raised_by: str | None
    raised_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    root_cause: str | None
    resolution: str
    theme: int | None = Field(alias="theme_id")
    clock: ClockOut = Field(description="The clock that matters now")
    response_clock: ClockOut
    resolution_clock: ClockOut
    actions: list[ActionOut]

    @staticmethod
    def resolve_client_name(obj: Complaint) -> str:
        return obj.client.name

    @staticmethod
    def resolve_category(obj: Complaint) -> str:
        return obj.category.code

    @staticmethod
    def resolve_owner(obj: Complaint) -> str | None:
        return _username(obj.owner)

    @staticmethod
    def resolve_raised_by(obj: Complaint) -> str | None:
        return _username(obj.raised_by)

    @staticmethod
    def resolve_root_cause(obj: Complaint) -> str | None:
        return obj.root_cause.code if obj.root_cause else None

    @staticmethod
    def resolve_clock(obj: Complaint) -> ClockReading:
        return clock_reading(obj, timezone.now())

    @staticmethod
    def resolve_response_clock(obj: Complaint) -> ClockReading:
        return read_clock(obj, "response", timezone.now())

    @staticmethod
    def resolve_resolution_clock(obj: Complaint) -> ClockReading:
        return read_clock(obj, "resolution", timezone.now())

    @staticmethod
    def resolve_actions(obj: Complaint) -> list[Any]:
        return list(obj.actions.all())


class CodeOut(Schema):
    code: str
    label: str
    is_active: bool


class PolicyOut(Schema):
    id: int
    business_unit: int | None = Field(alias="business_unit_id")
    severity: str
    first_response_minutes: int
    resolution_minutes: int
    warn_at_percent: int
    second_level_percent: int


class CalendarOut(Schema):
    business_unit: int = Field(alias="business_unit_id")
    time_zone: str
    working_days: list[int]
    opens_at: time
    closes_at: time
    holiday_country: str
    holiday_subdivision: str
