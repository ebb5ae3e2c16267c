"""Schemas of the people API (tokens, users and their access, roles, business units,
teams), and the request bodies of every app's API that name every bad field in one answer.

django-ninja validates a body before the endpoint runs, so with a plain Schema
one bad field (an empty name) stops the request before the endpoint could look
up codes or ask the model, and the caller learns of the other bad fields one
try at a time. A `BodySchema` keeps the fields that parsed, records what did
not, and lets the endpoint add its own findings before anything is written:

    problems = Problems(payload.problems())  # schema errors, by field path
    unit = lookup(...)                        # adds unknown codes to `problems`
    services.create_client(..., problems=problems)  # adds the model's, raises once

The OpenAPI document still shows each body's fields and rules.
"""

from datetime import datetime
from functools import cache
from typing import Annotated, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from ninja import Schema
from pydantic import Field, PrivateAttr, TypeAdapter, model_validator
from pydantic import ValidationError as SchemaError
from pydantic.functional_validators import ModelWrapValidatorHandler

from retainops.core.errors import field_path
from retainops.core.models import ImportJob, Team, User

# Ids ------------------------------------------------------------------------------------

# The largest id a database row can have (a signed 64-bit key). An id beyond it would
# overflow SQLite's integer in a foreign-key filter; bounded, it is refused with a 422.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def parse_id(text: object) -> int | None:
    """An id typed into a query string, a form or a file: ASCII digits within the
    database's integer range, else None. (`str.isdigit` also accepts "²", which `int`
    refuses, and SQLite cannot compare with an integer past 2**63 - 1.)"""
    value = str(text).strip()
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


"""An id in a query or a body: a whole number from 1 to 2**63 - 1."""
# A count or an amount in whole units sent to the API: far below a database integer's end.
MAX_COUNT = 10**12


# Bodies that name every bad field -------------------------------------------------------


class BodySchema(Schema):
    """A body whose problems are kept (see `problems()`) instead of refusing the request.

    Fields that failed are left unset, so `dict(exclude_unset=True)` holds only
    good values; a field of nested BodySchemas reports theirs as `name[index].field`.
    """

    _problems: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_problems(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if not isinstance(data, dict):
            return handler(data)  # not an object at all: nothing to salvage
        try:
            body = handler(data)
            problems: dict[str, list[str]] = {}
        except SchemaError as error:
            body, problems = cls._salvage(data, error)
        for name in cls.model_fields:
            value = body.__dict__.get(name)
            items = value if isinstance(value, list) else []
            for index, item in enumerate(items):
                if isinstance(item, BodySchema):
                    for path, messages in item.problems().items():
                        inner = "" if path == NON_FIELD_ERRORS else path
                        key = field_path([name, index, *([inner] if inner else [])])
                        problems.setdefault(key, []).extend(messages)
        body._problems = problems
        return body

    @classmethod
    def _salvage(cls, data: dict[str, Any], error: SchemaError) -> tuple[Any, dict[str, list[str]]]:
        """The body with each field that parses on its own; the others named."""
        problems: dict[str, list[str]] = {}
        for item in error.errors():
            loc = list(item.get("loc", ()))
            problems.setdefault(field_path(loc), []).append(str(item["msg"]))
        bad = {str(item["loc"][0]) for item in error.errors() if item.get("loc")}
        good = {
            name: _field_adapter(cls, name).validate_python(data[name])
            for name in cls.model_fields
            if name in data and name not in bad
        }
        # Required fields that failed stay absent: the endpoint reads only what was set.
        return cls.model_construct(**good), problems

    def problems(self) -> dict[str, list[str]]:
        """What was wrong with the body, by field path (empty when nothing)."""
        return {path: list(messages) for path, messages in self._problems.items()}


@cache
def _field_adapter(schema: type[BodySchema], name: str) -> TypeAdapter[Any]:
    """Validates one field of a schema alone, with the field's own rules."""
    field = schema.model_fields[name]
    rules: Any = Annotated[field.annotation, field]
    return TypeAdapter(rules)


# Sign-in --------------------------------------------------------------------------------


class TokenIn(Schema):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class TokenOut(Schema):
    token: str


class LockedOut(Schema):
    detail: str
    retry_after_seconds: int


# Business units -------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    code: str
    name: str
    is_active: bool


class UnitIn(Schema):
    code: str
    name: str
    is_active: bool = True


class UnitPatch(BodySchema):
    code: str | None = None
    name: str | None = None
    is_active: bool | None = None


# Roles and users ------------------------------------------------------------------------


class RoleOut(Schema):
    id: int
    code: str
    label: str
    description: str
    capabilities: list[str]


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    is_active: bool
    roles: list[str]
    business_units: list[str]

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted(r.code for r in obj.roles.all())

    @staticmethod
    def resolve_business_units(obj: User) -> list[str]:
        return sorted(u.code for u in obj.business_units.all())


class UserAccessIn(Schema):
    roles: list[str] | None = None
    business_units: list[str] | None = None


# Teams ----------------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    members: list[str]

    @staticmethod
    def resolve_members(obj: Team) -> list[str]:
        return sorted(m.username for m in obj.members.all())


NULL_REFUSED = "Give a value or leave the field out."


def fields_sent(
    payload: Schema, *, exclude: set[str] | None = None, nullable: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The fields an edit's body sent. Leaving a field out keeps what is stored, so a null
    for one that always holds a value (any not in `nullable`) is refused, naming each."""
    sent: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude=exclude)
    nulls = sorted(n for n, value in sent.items() if value is None and n not in nullable)
    if nulls:
        raise ValidationError({name: [NULL_REFUSED] for name in nulls})
    return sent


class SearchHitOut(Schema):
    title: str
    url: str
    detail: str


class SearchGroupOut(Schema):
    """One kind of record the search found (clients, contacts, programs, change requests,
    open tasks), at most eight hits; `more` when it had more than shown."""

    key: str
    label: str
    hits: list[SearchHitOut]
    more: bool


# Import jobs ----------------------------------------------------------------------------


class ImportJobProblemOut(Schema):
    row: int | None = Field(
        description="Row of the spreadsheet, the column names being row 1; null for the file"
    )
    column: str
    message: str


class ImportJobOut(Schema):
    """An uploaded file the worker imports: where it stands and, once done, its report."""

    id: int
    kind: str
    file_name: str
    state: str = Field(description="queued, running, succeeded or failed")
    step: str
    percent: int
    rows_read: int
    rows_total: int
    created_at: datetime
    finished_at: datetime | None
    requested_by: str | None
    rows: int = Field(description="Rows of the file; given once the rows are checked")
    created: int = Field(description="Given when the job succeeded")
    updated: int
    unchanged: int
    ignored_columns: list[str]
    errors: list[ImportJobProblemOut] = Field(description="When failed: nothing was written")
    url: str = Field(description="The page that follows the job")

    @staticmethod
    def resolve_requested_by(obj: ImportJob) -> str | None:
        return obj.requested_by.username if obj.requested_by else None

    @staticmethod
    def resolve_rows(obj: ImportJob) -> int:
        return int(obj.result.get("rows") or 0)

    @staticmethod
    def resolve_created(obj: ImportJob) -> int:
        return int(obj.result.get("created") or 0)

    @staticmethod
    def resolve_updated(obj: ImportJob) -> int:
        return int(obj.result.get("updated") or 0)

    @staticmethod
    def resolve_unchanged(obj: ImportJob) -> int:
        return int(obj.result.get("unchanged") or 0)

    @staticmethod
    def resolve_ignored_columns(obj: ImportJob) -> list[str]:
        return list(obj.result.get("ignored_columns") or [])

    @staticmethod
    def resolve_errors(obj: ImportJob) -> list[dict[str, Any]]:
        return obj.errors

    @staticmethod
    def resolve_url(obj: ImportJob) -> str:
        return reverse("import_job", args=[obj.pk])


# Saved filters --------------------------------------------------------------------------


class SavedFilterOut(Schema):
    id: int
    page: str
    name: str
    query: str
    created_at: datetime


class SavedFilterIn(Schema):
    page: str = Field(description="The list page: clients, changes or tasks.")
    name: str = Field(max_length=200)
    query: str = Field(default="", description="The page's query string; unknown filters drop.")
