"""Schemas of the contact-plan API: kinds, templates, plan items, occurrences,
touchpoints, adherence and the workload ahead."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from retainops.cadence.choices import ContactChannel
from retainops.cadence.models import Occurrence, PlanItem, Touchpoint
from retainops.core.schemas import Id

# What callers send ----------------------------------------------------------------------


class KindIn(Schema):
    code: str
    label: str
    channel: ContactChannel
    window_days: int = Field(2, ge=0, le=60)
    grace_days: int = Field(7, ge=0, le=120)
    remind_hours: int = Field(24, ge=0, le=24 * 14)


class ContactTemplateItemIn(Schema):
    kind: str = Field(description="Code of the contact kind (GET /cadence/kinds)")
    rrule: str = Field(description="RFC 5545 RRULE value, e.g. FREQ=WEEKLY;BYDAY=TU")
    owner_role: str = "account_manager"
    channel: ContactChannel | None = None
    at: time = time(10, 0)


class ContactTemplateIn(Schema):
    name: str
    service_line: str | None = Field(None, description="Code of a service line")
    min_monthly_budget: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    priority: int = Field(0, ge=0, le=1000)
    items: list[ContactTemplateItemIn]


class PlanItemIn(Schema):
    kind: str = Field(description="Code of the contact kind")
    rrule: str = Field(description="RFC 5545 RRULE value, e.g. FREQ=MONTHLY;BYMONTHDAY=1")
    starts_on: date
    at: time = time(10, 0)
    channel: ContactChannel | None = Field(None, description="The kind's channel when left out")
    owner_role: str = Field(
        "", description="A role code on the client's team, e.g. account_manager"
    )
    owner_user: str | None = Field(None, description="Username of a named owner")


class PlanItemPatch(Schema):
    """Only the fields sent change; the future occurrences follow."""

    kind: str | None = None
    rrule: str | None = None
    starts_on: date | None = None
    at: time | None = None
    channel: ContactChannel | None = None
    owner_role: str | None = None
    owner_user: str | None = None


class ApplyTemplateIn(Schema):
    template: str | None = Field(None, description="Name of the template; the fitting one if null")
    starts_on: date | None = None


class TouchpointIn(Schema):
    channel: ContactChannel
    at: datetime | None = Field(None, description="When it happened (now when left out)")
    summary: str = ""
    notes: str = ""
    contacts: list[Id] = Field(default_factory=list, description="Ids of the client's contacts")


class DoneIn(Schema):
    notes: str = ""


class SkipIn(Schema):
    reason: str


class MoveIn(Schema):
    due_at: datetime


class WorkloadReassignIn(Schema):
    kind: str = Field(description="task or occurrence")
    id: Id
    to: str = Field(description="Username of the new owner")


# What callers read ----------------------------------------------------------------------


class BadgeOut(Schema):
    value: str
    label: str
    colour: str


class KindOut(Schema):
    code: str
    label: str
    channel: str
    window_days: int
    grace_days: int
    remind_hours: int
    is_active: bool


class ContactTemplateItemOut(Schema):
    kind: str
    rrule: str
    owner_role: str
    channel: str
    at: time

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return str(obj.kind.code)


class ContactTemplateOut(Schema):
    id: int
    name: str
    service_line: str | None
    min_monthly_budget: Decimal | None
    priority: int
    items: list[ContactTemplateItemOut]

    @staticmethod
    def resolve_service_line(obj: Any) -> str | None:
        return obj.service_line.code if obj.service_line_id else None

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.select_related("kind"))


class PlanItemOut(Schema):
    id: int
    client: int
    kind: str
    rrule: str
    channel: str
    starts_on: date
    at: time
    owner_role: str
    owner_user: str | None
    state: BadgeOut
    revision: int

    @staticmethod
    def resolve_client(obj: PlanItem) -> int:
        return obj.client_id

    @staticmethod
    def resolve_kind(obj: PlanItem) -> str:
        return obj.kind.code

    @staticmethod
    def resolve_owner_user(obj: PlanItem) -> str | None:
        return obj.owner_user.username if obj.owner_user else None

    @staticmethod
    def resolve_state(obj: PlanItem) -> dict:
        return obj.state_badge


class OccurrenceOut(Schema):
    id: int
    item: int
    client: int
    kind: str
    channel: str
    assignee: str | None
    due_at: datetime
    window_start: datetime
    window_end: datetime
    late_until: datetime
    state: BadgeOut
    outcome: str
    notes: str
    skip_reason: str
    touchpoint: int | None

    @staticmethod
    def resolve_item(obj: Occurrence) -> int:
        return obj.item_id

    @staticmethod
    def resolve_client(obj: Occurrence) -> int:
        return obj.client_id

    @staticmethod
    def resolve_kind(obj: Occurrence) -> str:
        return obj.item.kind.code

    @staticmethod
    def resolve_assignee(obj: Occurrence) -> str | None:
        return obj.assignee.username if obj.assignee else None

    @staticmethod
    def resolve_state(obj: Occurrence) -> dict:
        return obj.state_badge

    @staticmethod
    def resolve_touchpoint(obj: Occurrence) -> int | None:
        return obj.touchpoint_id


class TouchpointOut(Schema):
    id: int
    client: int
    channel: str
    at: datetime
    by: str | None
    source: str
    summary: str
    notes: str
    contacts: list[int]
    message: int | None

    @staticmethod
    def resolve_client(obj: Touchpoint) -> int:
        return obj.client_id

    @staticmethod
    def resolve_by(obj: Touchpoint) -> str | None:
        return obj.by.username if obj.by else None

    @staticmethod
    def resolve_contacts(obj: Touchpoint) -> list[int]:
        return [c.pk for c in obj.contacts.all()]

    @staticmethod
    def resolve_message(obj: Touchpoint) -> int | None:
        return obj.message_id


class AdherenceOut(Schema):
    days: int
    planned: int
    on_time: int
    late: int
    missed: int
    skipped: int
    open: int
    rate: float | None


class ClientAdherenceOut(Schema):
    client: int
    days_since_last_touch: int | None
    last_30: AdherenceOut
    last_90: AdherenceOut


class PersonAdherenceOut(Schema):
    person: str
    adherence: AdherenceOut


class UntouchedOut(Schema):
    id: int
    name: str
    business_unit: str
    status: str

    @staticmethod
    def resolve_business_unit(obj: Any) -> str:
        return str(obj.business_unit.code)


class DayOut(Schema):
    day: date
    tasks: int
    occurrences: int
    steps: int
    total: int
    capacity: int
    over: bool


class PersonLoadOut(Schema):
    person: str
    over_days: int
    total: int
    days: list[DayOut]

    @staticmethod
    def resolve_person(obj: Any) -> str:
        return str(obj.person.username)


class WorkItemOut(Schema):
    kind: str
    id: int
    title: str
    client: str
    due_at: datetime
