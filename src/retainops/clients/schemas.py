"""The shapes of the clients API: request bodies, query parameters and responses.

The routers (api.py, api_transfer.py) import them from here. Bodies are
`BodySchema`s, which keep every bad field to answer once (see core/schemas.py);
responses read the models through aliases and resolvers. The OpenAPI document
names each schema after its class.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from retainops.clients.choices import ClientStatus
from retainops.clients.models import Client, Contract, ContractLine
from retainops.core.schemas import BodySchema, Id

# Clients, contacts, tools, contracts and catalogues --------------------------------------


class Badge(Schema):
    value: str
    label: str
    colour: str


class TeamMemberOut(Schema):
    role: str
    username: str
    name: str


class ClientSummaryOut(Schema):
    id: int
    name: str
    business_unit: str = Field(alias="business_unit.code")
    status: Badge = Field(alias="status_badge")
    external_id: str
    mrr: Decimal
    updated_at: datetime


class ClientOut(ClientSummaryOut):
    website: str
    industry: str
    notes: str
    sold_on: date | None
    created_at: datetime
    team: list[TeamMemberOut]

    @staticmethod
    def resolve_team(obj: Client) -> list[dict[str, str]]:
        return [
            {"role": m.role.code, "username": m.user.username, "name": str(m.user)}
            for m in obj.team.select_related("role", "user")
        ]


class ClientIn(BodySchema):
    name: str = Field(min_length=1, max_length=200)
    business_unit: str = Field(description="Code of the business unit")
    external_id: str = ""
    website: str = ""
    industry: str = ""
    notes: str = ""
    sold_on: date | None = None


class ClientPatch(BodySchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    business_unit: str | None = None
    external_id: str | None = None
    website: str | None = None
    industry: str | None = None
    notes: str | None = None
    sold_on: date | None = None


class ClientQuery(Schema):
    search: str = ""
    business_unit: str = ""
    status: ClientStatus | None = None
    owner: str = Field("", description="Username of a person on the client's team")
    service: str = Field("", description="Code of a service on an active contract")
    sort: str = Field("name", pattern="^-?(name|status|mrr|updated)$")


class TransitionIn(Schema):
    transition: str


class ContactIn(BodySchema):
    name: str = Field(min_length=1, max_length=160)
    email: str
    phone: str = ""
    title: str = ""
    is_primary: bool = False


class ContactPatch(BodySchema):
    name: str | None = Field(None, min_length=1, max_length=160)
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    is_primary: bool | None = None


class ContactOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    name: str
    email: str
    phone: str
    title: str
    is_primary: bool


class TeamAssignIn(BodySchema):
    username: str | None = Field(None, description="null removes whoever holds the role")


class ToolOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    platform_exit_only: bool
    is_active: bool


class ToolIn(BodySchema):
    code: str
    name: str
    kind: str = "tool"
    platform_exit_only: bool = False
    is_active: bool = True


class ToolPatch(BodySchema):
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    platform_exit_only: bool | None = None
    is_active: bool | None = None


class ClientToolIn(BodySchema):
    tool: str = Field(description="Code of the tool or board")
    reference: str = ""


class ClientToolOut(Schema):
    id: int
    tool: str = Field(alias="tool.code")
    name: str = Field(alias="tool.name")
    reference: str


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    description: str
    is_active: bool


class ServiceIn(BodySchema):
    code: str
    name: str
    description: str = ""
    is_active: bool = True


class ServicePatch(BodySchema):
    code: str | None = None
    name: str | None = None
    description: str | None = None
    is_active: bool | None = None


class LineIn(BodySchema):
    service: str = Field(description="Code of the service line")
    monthly_budget: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class LineOut(Schema):
    id: int
    service: str = Field(alias="service.code")
    monthly_budget: Decimal


class BudgetIn(BodySchema):
    monthly_budget: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class ContractIn(BodySchema):
    client: Id
    reference: str = Field(min_length=1, max_length=80)
    currency: str = "USD"
    start_date: date
    term_months: int = Field(ge=1, le=120)
    renewal_date: date | None = None
    notes: str = ""
    activate: bool = True
    lines: list[LineIn] = Field(default_factory=list)


class ContractPatch(BodySchema):
    reference: str | None = Field(None, min_length=1, max_length=80)
    currency: str | None = None
    start_date: date | None = None
    term_months: int | None = Field(None, ge=1, le=120)
    renewal_date: date | None = None
    notes: str | None = None


class ContractOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    reference: str
    currency: str
    start_date: date
    term_months: int
    renewal_date: date | None
    status: Badge = Field(alias="status_badge")
    notes: str
    lines: list[LineOut]
    monthly_total: Decimal

    @staticmethod
    def resolve_lines(obj: Contract) -> list[ContractLine]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_monthly_total(obj: Contract) -> Decimal:
        return obj.monthly_total()


class ChangeOut(Schema):
    field: str
    old: Any = None
    new: Any = None


class HistoryOut(Schema):
    what: str
    object: str
    kind: str
    when: datetime
    who: str | None
    reason: str
    changes: list[ChangeOut]

    @staticmethod
    def resolve_who(obj: dict) -> str | None:
        return obj["who"].username if obj["who"] else None


# Import and export ------------------------------------------------------------------------


class ImportProblemOut(Schema):
    row: int | None = Field(
        description="Row of the spreadsheet, the column names being row 1; null for the file"
    )
    column: str
    message: str


class ImportResultOut(Schema):
    ok: bool
    dry_run: bool
    kind: str
    rows: int
    created: int = Field(description="Given when every row is good; in a dry run, would be")
    updated: int
    unchanged: int
    ignored_columns: list[str]
    errors: list[ImportProblemOut]
