"""Import and export of clients and contracts as CSV or XLSX spreadsheets.

Agencies keep their clients in spreadsheets and CRMs. An import brings those
rows in; an export takes them out in the same columns, so an export can be
edited and imported again.

An import has two phases. *Checking* reads every row, resolves what it names
(business unit, people, services, existing clients and contracts) and
validates the values as the models and services would, collecting a problem
for each bad cell; it writes nothing, and a dry run stops there. *Writing*
happens only when every row is good: one transaction applies the rows through
the services of clients/services.py, so permission checks and the audit
history (who changed what) are the same as for someone using the pages. If a
service still refuses a row, the whole transaction is rolled back and the
refusal is reported like any other problem.

Row numbers in reports are the spreadsheet's own: the header is row 1, the
first data row is row 2.
"""

import codecs
import copy
import csv
import io
import re
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Protocol, cast

import openpyxl
import tablib
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django_fsm import ConcurrentTransition, FSMField

from retainops.clients import services
from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import (
    CLIENT_TRANSITIONS,
    Client,
    ClientTeamMember,
    Contact,
    Contract,
    ContractLine,
    ServiceLine,
)
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability, sees_all_units
from retainops.core.capabilities import Capability
from retainops.core.choices import RoleCode
from retainops.core.errors import errors_by_field, invalid
from retainops.core.models import BusinessUnit, Role, User

KINDS = ("clients", "contracts")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(CONTENT_TYPES)
MAX_IMPORT_BYTES = 10 * 1024 * 1024

CLIENT_COLUMNS = (
    "name",
    "business_unit",
    "status",
    "external_id",
    "website",
    "industry",
    "notes",
    "sold_on",
    "account_manager",
    "client_success_manager",
    "sales_rep",
    "contact_name",
    "contact_email",
    "contact_phone",
)
CONTRACT_COLUMNS = (
    "client",
    "business_unit",
    "reference",
    "service",
    "monthly_budget",
    "currency",
    "start_date",
    "term_months",
    "renewal_date",
    "status",
)
COLUMNS = {"clients": CLIENT_COLUMNS, "contracts": CONTRACT_COLUMNS}

# The team columns and the role each names.
TEAM_COLUMNS: dict[str, str] = {
    "account_manager": RoleCode.ACCOUNT_MANAGER,
    "client_success_manager": RoleCode.CLIENT_SUCCESS_MANAGER,
    "sales_rep": RoleCode.SALES_REP,
}
# The contact columns and the Contact field each fills.
CONTACT_COLUMNS: dict[str, str] = {
    "contact_name": "name",
    "contact_email": "email",
    "contact_phone": "phone",
}

_UNIT_ALIASES = ("Business Unit", "Unit", "Brand", "Division", "BU")

# Headings other systems use for our columns; matched ignoring case and punctuation.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "clients": {
        "name": (
            "Client",
            "Client Name",
            "Account",
            "Account Name",
            "Company",
            "Company Name",
            "Organization",
            "Organisation",
            "Business Name",
            "Customer",
            "Customer Name",
        ),
        "business_unit": _UNIT_ALIASES,
        "status": ("Client Status", "Account Status"),
        "external_id": (
            "External ID",
            "Record ID",
            "Account ID",
            "CRM ID",
            "Company ID",
            "Customer ID",
            "ID",
        ),
        "website": ("Website URL", "URL", "Web Site", "Domain", "Company Domain Name"),
        "industry": ("Vertical", "Sector"),
        "notes": ("Note", "Description", "Comments"),
        "sold_on": ("Sold Date", "Date Sold", "Close Date", "Closed Date", "Closed Won Date"),
        "account_manager": ("Account Manager", "AM"),
        "client_success_manager": (
            "Client Success Manager",
            "Customer Success Manager",
            "Success Manager",
            "CSM",
        ),
        "sales_rep": (
            "Sales Rep",
            "Sales Representative",
            "Salesperson",
            "Owner",
            "Account Owner",
            "Company Owner",
            "Record Owner",
        ),
        "contact_name": ("Contact", "Primary Contact", "Primary Contact Name"),
        "contact_email": ("Email", "E-mail", "Email Address", "Primary Contact Email"),
        "contact_phone": ("Phone", "Phone Number", "Telephone", "Primary Contact Phone"),
    },
    "contracts": {
        "client": (
            "Client Name",
            "Client ID",
            "Client External ID",
            "Account",
            "Account Name",
            "Account ID",
            "Company",
            "Company Name",
            "Customer",
        ),
        "business_unit": _UNIT_ALIASES,
        "reference": (
            "Contract",
            "Contract Reference",
            "Contract ID",
            "Contract Number",
            "Contract No",
            "Ref",
        ),
        "service": ("Service Line", "Service Code", "Product", "Product Name"),
        "monthly_budget": (
            "Budget",
            "Monthly Amount",
            "Monthly Fee",
            "Monthly Value",
            "Amount",
            "MRR",
        ),
        "currency": ("Currency Code",),
        "start_date": ("Start", "Contract Start", "Contract Start Date", "Effective Date"),
        "term_months": ("Term", "Term (months)", "Months", "Contract Term"),
        "renewal_date": ("Renewal", "Renews On", "Renewal Due"),
        "status": ("Contract Status",),
    },
}

COLUMN_MEANINGS: dict[str, dict[str, str]] = {
    "clients": {
        "name": "The client's name. Rows match existing clients on it when no external_id.",
        "business_unit": "Code or name of the business unit. May be left out by someone who "
        "works in exactly one unit.",
        "status": "onboarding (the default), active, paused, cancelling or cancelled.",
        "external_id": "The account's id in your CRM. Rows match existing clients on it first.",
        "website": "The client's site; https:// is added when the scheme is missing.",
        "industry": "Free text.",
        "notes": "Free text.",
        "sold_on": "The date sold, as YYYY-MM-DD.",
        "account_manager": "Username or e-mail of an account manager of that unit.",
        "client_success_manager": "Username or e-mail of a client success manager of that unit.",
        "sales_rep": "Username or e-mail of a sales rep of that unit.",
        "contact_name": "The main contact's name (give it with the e-mail).",
        "contact_email": "The main contact's e-mail; an existing contact with it is updated.",
        "contact_phone": "The main contact's phone.",
    },
    "contracts": {
        "client": "External id or name of an existing client.",
        "business_unit": "Code or name of the client's unit, when the name alone is ambiguous.",
        "reference": "The contract's reference; rows with the same client and reference are "
        "the lines of one contract.",
        "service": "Code or name of a service of the catalogue.",
        "monthly_budget": "The line's monthly budget, e.g. 1500.00.",
        "currency": "Three-letter code; USD when left out.",
        "start_date": "YYYY-MM-DD; needed for a new contract.",
        "term_months": "Whole months; needed for a new contract.",
        "renewal_date": "YYYY-MM-DD (optional).",
        "status": "draft or active (the default); an import can activate a draft.",
    },
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "clients": ("name",),
    "contracts": ("client", "reference"),
}


# Results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload: where (spreadsheet row and column) and what.

    ``row`` is None when the problem is with the file as a whole.
    """

    row: int | None
    column: str
    message: str


@dataclass
class ImportReport:
    """What checking (and, unless a dry run, writing) an upload found and did.

    The counts are given only when every row is good; in a dry run they say
    what an import would do.
    """

    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.errors if problem.row is not None})


@dataclass(frozen=True)
class ExportFile:
    """A file to hand to the browser or an API caller."""

    content: bytes
    content_type: str
    filename: str


@dataclass(frozen=True)
class ColumnGuide:
    """A column of an import, for the page that explains them."""

    name: str
    required: bool
    meaning: str
    aliases: tuple[str, ...]


def column_guide(kind: str) -> list[ColumnGuide]:
    """The columns of a kind of import, with what they mean and the other headings accepted."""
    return [
        ColumnGuide(
            name=column,
            required=column in REQUIRED_COLUMNS[kind],
            meaning=COLUMN_MEANINGS[kind][column],
            aliases=ALIASES[kind].get(column, ()),
        )
        for column in COLUMNS[kind]
    ]


# Entry points -------------------------------------------------------------------------


def preview_import(*, kind: str, content: bytes, filename: str, by: Any) -> ImportReport:
    """Check every row of an upload and report what is wrong; write nothing."""
    return run_import(kind=kind, content=content, filename=filename, by=by, dry_run=True)


def run_import(*, kind: str, content: bytes, filename: str, by: Any, dry_run: bool) -> ImportReport:
    """Check every row of an upload; unless dry_run, write them all if (and only if) all are good.

    Raises PermissionDenied when the person may not import this kind at all;
    everything else wrong is a Problem in the report.
    """
    _require_import_rights(by, kind)
    report = ImportReport(kind=kind, dry_run=dry_run)
    try:
        sheet = _read_sheet(content, filename, kind, by)
    except _FileProblem as problem:
        report.errors.append(Problem(None, problem.column, str(problem)))
        return report
    report.rows, report.ignored_columns = len(sheet.rows), sheet.ignored
    if dry_run:
        _check_and_write(report, sheet, by, write=False)
        return report
    with transaction.atomic():
        _check_and_write(report, sheet, by, write=True)
        if not report.ok:
            transaction.set_rollback(True)
    return report


def _require_import_rights(by: Any, kind: str) -> None:
    """Importing needs data.import; contracts also need the right to edit contracts."""
    if kind not in KINDS:
        raise invalid("kind", f"Import clients or contracts, not {kind!r}.")
    require_capability(by, Capability.IMPORT_DATA)
    if kind == "contracts":
        require_capability(by, Capability.EDIT_CONTRACT)


class _Plan(Protocol):
    """What checking decided to do with one client or contract."""

    def outcome(self) -> str: ...

    def apply(self, by: Any) -> None: ...


def _check_and_write(report: ImportReport, sheet: "_Sheet", by: Any, *, write: bool) -> None:
    rows = [_Row(number, cells) for number, cells in sheet.rows]
    planner = _plan_clients if report.kind == "clients" else _plan_contracts
    plans = planner(rows, _Lookups(by))
    report.errors.extend(problem for row in rows for problem in row.problems)
    if not report.ok:
        return
    if write:
        report.errors.extend(_write(plans, by))
    if report.ok:
        outcomes = [plan.outcome() for plan in plans]
        report.created = outcomes.count("created")
        report.updated = outcomes.count("updated")
        report.unchanged = outcomes.count("unchanged")


def _write(plans: Sequence[_Plan], by: Any) -> list[Problem]:
    """Apply every plan, each in a savepoint; collect what the services refused."""
    problems: list[Problem] = []
    for plan in plans:
        try:
            with transaction.atomic():
                plan.apply(by)
        except _Refused as refused:
            problems.extend(refused.problems)
    return problems


class _Refused(Exception):
    """A service refused part of a row while writing."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


Locate = Callable[[str], tuple[int, str]]


def _attempt(operation: Callable[[], Any], locate: Locate) -> Any:
    """Run a service call; turn a refusal into Problems placed by `locate` (field -> cell)."""
    try:
        return operation()
    except ValidationError as error:
        problems = [
            Problem(*locate(name), message)
            for name, messages in errors_by_field(error).items()
            for message in messages
        ]
        raise _Refused(problems) from None
    except PermissionDenied as error:
        message = str(error) or "You are not allowed to do this."
        raise _Refused([Problem(*locate(NON_FIELD_ERRORS), message)]) from None
    except (ConcurrentTransition, IntegrityError) as error:
        message = f"Someone changed this record meanwhile; try again ({error})."
        raise _Refused([Problem(*locate(NON_FIELD_ERRORS), message)]) from None


# Reading files ------------------------------------------------------------------------


class _FileProblem(Exception):
    """The upload as a whole cannot be used; the message says why."""

    def __init__(self, message: str, column: str = "") -> None:
        super().__init__(message)
        self.column = column


@dataclass
class _Sheet:
    """The data rows of an upload, by spreadsheet row number, with cells keyed by column."""

    rows: list[tuple[int, dict[str, Any]]]
    ignored: list[str]


def _read_sheet(content: bytes, filename: str, kind: str, by: Any) -> _Sheet:
    records = _records(content, filename)
    numbered = [(number, record) for number, record in enumerate(records, 1) if _filled(record)]
    if not numbered:
        raise _FileProblem("The file is empty.")
    (_header_number, header), data = numbered[0], numbered[1:]
    columns, ignored = _map_columns(header, kind)
    _check_required_columns(columns, kind, by)
    if not data:
        raise _FileProblem("The file has column names but no rows.")
    rows = [
        (number, {column: record[i] if i < len(record) else None for column, i in columns.items()})
        for number, record in data
    ]
    return _Sheet(rows=rows, ignored=ignored)


def _filled(record: Sequence[Any]) -> bool:
    return any(_as_text(cell) for cell in record)


def _records(content: bytes, filename: str) -> list[list[Any]]:
    """Every row of the file, blank ones included, so that positions are row numbers."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in CONTENT_TYPES:
        raise _FileProblem(
            f"Upload a .csv or .xlsx file; {filename or 'the file'!r} is neither "
            "(save older .xls workbooks as .xlsx first)."
        )
    if not content.strip():
        raise _FileProblem("The file is empty.")
    if len(content) > MAX_IMPORT_BYTES:
        raise _FileProblem(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it."
        )
    return _csv_records(content) if extension == "csv" else _xlsx_records(content)


def _csv_records(content: bytes) -> list[list[Any]]:
    """CSV rows via the csv module rather than tablib, because tablib drops blank lines
    (which would shift the row numbers of the report) and refuses ragged rows."""
    if content.startswith(b"PK\x03\x04"):
        raise _FileProblem("This file is an Excel workbook; give it the .xlsx extension.")
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        return [list(record) for record in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        raise _FileProblem(f"The CSV file could not be read: {error}.") from None


def _decode(content: bytes) -> str:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 or Windows-1252 as Excel saves it."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _FileProblem("The file is not readable text; save it as 'CSV UTF-8' and try again.")


def _xlsx_records(content: bytes) -> list[list[Any]]:
    try:
        dataset = tablib.Dataset().load(content, format="xlsx", headers=False)
    except Exception as error:  # a damaged workbook fails in many ways inside openpyxl
        raise _FileProblem("The file could not be read as an Excel (.xlsx) workbook.") from error
    return [list(record) for record in dataset]


def _normalise(heading: Any) -> str:
    """'Account Name', 'account_name' and 'ACCOUNT-NAME' all become 'account name'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", _as_text(heading).casefold()).split())


def _map_columns(header: Sequence[Any], kind: str) -> tuple[dict[str, int], list[str]]:
    """Which position holds each column; our own names win over other systems' headings."""
    exact = {_normalise(column): column for column in COLUMNS[kind]}
    aliases = {
        _normalise(alias): column for column, names in ALIASES[kind].items() for alias in names
    }
    positions: dict[str, int] = {}
    for lookup in (exact, aliases):
        for index, heading in enumerate(header):
            column = lookup.get(_normalise(heading))
            if column and column not in positions and index not in positions.values():
                positions[column] = index
    ignored = [
        _as_text(heading)
        for index, heading in enumerate(header)
        if _as_text(heading) and index not in positions.values()
    ]
    return positions, ignored


def _check_required_columns(columns: Mapping[str, int], kind: str, by: Any) -> None:
    required = list(REQUIRED_COLUMNS[kind])
    if kind == "clients" and _default_unit(by) is None:
        required.append("business_unit")
    for column in required:
        if column not in columns:
            accepted = ", ".join((column, *ALIASES[kind].get(column, ())))
            raise _FileProblem(
                f"The file has no {column} column (headings accepted: {accepted}).", column
            )


def _default_unit(by: Any) -> BusinessUnit | None:
    """The unit of someone who works in exactly one: rows that name none go there."""
    unit_ids = by.unit_ids()
    if len(unit_ids) != 1:
        return None
    return BusinessUnit.objects.filter(pk__in=unit_ids).first()


# Cells ------------------------------------------------------------------------------


@dataclass
class _Row:
    """One data row: its spreadsheet number, its cells by column, and what is wrong with it."""

    number: int
    cells: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    def text(self, column: str) -> str:
        return _as_text(self.cells.get(column))

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def failed(self, column: str) -> bool:
        return any(problem.column == column for problem in self.problems)

    @property
    def bad(self) -> bool:
        return bool(self.problems)


def _as_text(value: Any) -> str:
    """A cell as trimmed text, whatever type the spreadsheet gave it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _date_cell(row: _Row, column: str) -> date | None:
    """A date from a real date cell or ISO text; a problem for anything else."""
    value = row.cells.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _as_text(value)
    if not text:
        return None
    for parse in (date.fromisoformat, lambda t: datetime.fromisoformat(t).date()):
        try:
            return parse(text)
        except ValueError:
            continue
    row.fail(column, f"Write the date as YYYY-MM-DD; {text!r} is not one.")
    return None


_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def _decimal_cell(row: _Row, column: str) -> Decimal | None:
    """An amount of zero or more; accepts '1,500.00' and a leading currency sign."""
    text = row.text(column).lstrip("$€£").replace(" ", "")
    if not text:
        return None
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        row.fail(column, f"{row.text(column)!r} is not an amount; write e.g. 1500.00.")
        return None
    if amount < 0:
        row.fail(column, "Give an amount of zero or more.")
        return None
    return amount


def _months_cell(row: _Row, column: str) -> int | None:
    text = row.text(column)
    if not text:
        return None
    try:
        months = Decimal(text)
    except InvalidOperation:
        months = None
    if months is None or not months.is_finite() or months != months.to_integral_value():
        row.fail(column, f"Give a whole number of months, not {text!r}.")
        return None
    if months < 1:
        row.fail(column, "A term lasts at least one month.")
        return None
    return int(months)


def _choice(choices: type[models.TextChoices], value: str) -> str | None:
    """The choice whose value or label is `value`, ignoring case."""
    key = value.casefold()
    for option, label in choices.choices:
        if key in (str(option).casefold(), str(label).casefold()):
            return str(option)
    return None


def _with_scheme(url: str) -> str:
    """CRM exports often hold 'acme.com'; the model wants a URL."""
    return url if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE) else f"https://{url}"


def _model_problems(
    row: _Row, instance: models.Model, rename: Mapping[str, str], exclude: Sequence[str] = ()
) -> None:
    """Validate an unsaved instance as the services will; report on columns not yet reported."""
    try:
        instance.full_clean(exclude=[*exclude, *_state_fields(instance)])
    except ValidationError as error:
        for name, messages in errors_by_field(error).items():
            column = rename.get(name, "" if name == NON_FIELD_ERRORS else name)
            if not row.failed(column):
                for message in messages:
                    row.fail(column, message)


def _state_fields(instance: models.Model) -> list[str]:
    """Status fields, which only transitions set (and which field cleaning would assign)."""
    return [f.name for f in instance._meta.fields if isinstance(f, FSMField)]


def _refusal(capability: Capability) -> str:
    return f"You are not allowed to: {capability.label.lower()}."


def _may_use_unit(by: Any, unit: BusinessUnit) -> bool:
    return sees_all_units(by) or unit.pk in by.unit_ids()


# Lookups ----------------------------------------------------------------------------


class _Lookups:
    """What rows name (units, services, roles, people), each looked up once per import."""

    def __init__(self, by: Any) -> None:
        self.by = by
        self.default_unit = _default_unit(by)
        self._units = list(BusinessUnit.objects.all())
        self._services = list(ServiceLine.objects.all())
        self.roles = {r.code: r for r in Role.objects.filter(code__in=TEAM_COLUMNS.values())}
        self._users: dict[str, list[User]] = {}
        self._clients: dict[tuple[int | None, str], list[Client]] = {}

    def unit(self, value: str) -> BusinessUnit | None:
        key = value.casefold()
        return next((u for u in self._units if key in (u.code.casefold(), u.name.casefold())), None)

    def service(self, value: str) -> ServiceLine | None:
        key = value.casefold()
        return next(
            (s for s in self._services if key in (s.code.casefold(), s.name.casefold())), None
        )

    def users(self, value: str) -> list[User]:
        key = value.casefold()
        if key not in self._users:
            found = User.objects.filter(Q(username__iexact=value) | Q(email__iexact=value))
            self._users[key] = list(found)
        return self._users[key]

    def visible_clients(self, unit: BusinessUnit | None, value: str) -> list[Client]:
        """Clients the importer may see whose external id, else name, is `value`."""
        key = (unit.pk if unit else None, value.casefold())
        if key not in self._clients:
            clients = visible_clients(self.by).select_related("business_unit")
            if unit is not None:
                clients = clients.filter(business_unit=unit)
            found = list(clients.filter(external_id=value)) or list(
                clients.filter(name__iexact=value)
            )
            self._clients[key] = found
        return self._clients[key]


def _row_unit(row: _Row, lookups: _Lookups, *, required: bool) -> BusinessUnit | None:
    """The row's business unit, which the importer must work in."""
    value = row.text("business_unit")
    if not value:
        if required and lookups.default_unit is None:
            row.fail("business_unit", "Give the business unit (its code or name).")
        return lookups.default_unit if required else None
    unit = lookups.unit(value)
    if unit is None:
        row.fail("business_unit", f"No business unit has the code or name {value!r}.")
    elif not _may_use_unit(lookups.by, unit):
        row.fail("business_unit", f"You do not work in {unit}.")
        return None
    return unit


# Clients: checking --------------------------------------------------------------------


@dataclass
class _ContactPlan:
    contact: Contact | None  # the client's contact with that e-mail, if any
    data: dict[str, Any]


@dataclass
class _ClientPlan:
    """What to do with one client row: create or update, and what to set."""

    row: int
    unit: BusinessUnit
    client: Client | None  # None: create one
    data: dict[str, Any]
    transitions: list[str]
    team: list[tuple[str, Role, User]]
    contact: _ContactPlan | None

    def changes(self) -> bool:
        return bool(self.data or self.transitions or self.team or self.contact)

    def outcome(self) -> str:
        if self.client is None:
            return "created"
        return "updated" if self.changes() else "unchanged"

    def apply(self, by: Any) -> None:
        _apply_client(self, by)


class _ClientIndex:
    """The clients of each unit a file names, loaded once, to match rows against."""

    def __init__(self) -> None:
        self._units: dict[int, tuple[dict[str, Client], dict[str, list[Client]]]] = {}

    def _load(self, unit: BusinessUnit) -> tuple[dict[str, Client], dict[str, list[Client]]]:
        if unit.pk not in self._units:
            by_id: dict[str, Client] = {}
            by_name: dict[str, list[Client]] = defaultdict(list)
            for client in Client.objects.filter(business_unit=unit):
                if client.external_id:
                    by_id[client.external_id] = client
                by_name[client.name.casefold()].append(client)
            self._units[unit.pk] = (by_id, by_name)
        return self._units[unit.pk]

    def match(self, unit: BusinessUnit, external_id: str, name: str) -> list[Client]:
        """The external id decides when given; else the name. A client without an external
        id is also matched by name, so a first CRM import completes an earlier spreadsheet."""
        by_id, by_name = self._load(unit)
        if external_id and external_id in by_id:
            return [by_id[external_id]]
        named = by_name.get(name.casefold(), [])
        return [c for c in named if not c.external_id] if external_id else named


class _ClientRowKeys:
    """Which rows of the file name the same client, so each client has only one row."""

    def __init__(self) -> None:
        self.existing: dict[int, int] = {}
        self.external: dict[tuple[int, str], int] = {}
        self.named_without_id: dict[tuple[int, str], int] = {}
        self.named: dict[tuple[int, str], int] = {}

    def claim(self, row: _Row, plan: _ClientPlan, values: Mapping[str, Any]) -> None:
        earlier = self._earlier(row.number, plan, values)
        if earlier is not None:
            row.fail("name", f"The same client is on row {earlier}; give each client one row.")

    def _earlier(self, number: int, plan: _ClientPlan, values: Mapping[str, Any]) -> int | None:
        """An earlier row for the same client: the same existing client, the same external
        id, or the same name where one of the two rows has no external id."""
        unit, external_id = plan.unit.pk, values.get("external_id", "")
        name = (unit, str(values.get("name", "")).casefold())
        candidates = []
        if plan.client is not None:
            candidates.append(self.existing.setdefault(plan.client.pk, number))
        if external_id:
            candidates.append(self.external.setdefault((unit, external_id), number))
            candidates.append(self.named_without_id.get(name, number))
        else:
            candidates.append(self.named.get(name, number))
            self.named_without_id.setdefault(name, number)
        self.named.setdefault(name, number)
        return next((c for c in candidates if c != number), None)


def _plan_clients(rows: list[_Row], lookups: _Lookups) -> list[_Plan]:
    index, keys = _ClientIndex(), _ClientRowKeys()
    plans: list[_Plan] = []
    for row in rows:
        plan = _plan_client(row, lookups, index, keys)
        if plan is not None:
            plans.append(plan)
    return plans


def _plan_client(
    row: _Row, lookups: _Lookups, index: _ClientIndex, keys: _ClientRowKeys
) -> _ClientPlan | None:
    unit = _row_unit(row, lookups, required=True)
    values = _client_values(row)
    status = _client_status(row)
    contact = _contact_values(row)
    team = _team(row, lookups, unit)
    if unit is None:
        return None
    existing = _existing_client(row, index, unit, values)
    _model_problems(row, _client_as_saved(existing, unit, values), {})
    plan = _ClientPlan(
        row=row.number,
        unit=unit,
        client=existing,
        data=values if existing is None else _changed(existing, values),
        transitions=_transitions(row, existing, status),
        team=_team_changes(existing, team),
        contact=_contact_plan(row, existing, contact),
    )
    _check_client_rights(row, lookups.by, plan)
    keys.claim(row, plan, values)
    return None if row.bad else plan


def _client_values(row: _Row) -> dict[str, Any]:
    """The client's own fields; blank cells are left out (an update keeps what is there)."""
    values: dict[str, Any] = {}
    if row.text("name"):
        values["name"] = row.text("name")
    else:
        row.fail("name", "Give the client's name.")
    for column in ("external_id", "industry", "notes"):
        if row.text(column):
            values[column] = row.text(column)
    if row.text("website"):
        values["website"] = _with_scheme(row.text("website"))
    sold_on = _date_cell(row, "sold_on")
    if sold_on is not None:
        values["sold_on"] = sold_on
    return values


def _client_status(row: _Row) -> str | None:
    value = row.text("status")
    if not value:
        return None
    status = _choice(ClientStatus, value)
    if status is None:
        row.fail(
            "status",
            f"{value!r} is not a client status; use one of {', '.join(ClientStatus.values)}.",
        )
    return status


def _contact_values(row: _Row) -> dict[str, str]:
    values = {
        name: row.text(column) for column, name in CONTACT_COLUMNS.items() if row.text(column)
    }
    if values and "email" not in values:
        row.fail("contact_email", "Give the contact's e-mail along with the name or phone.")
    elif values and "name" not in values:
        row.fail("contact_name", "Give the contact's name along with the e-mail.")
    return values


def _team(row: _Row, lookups: _Lookups, unit: BusinessUnit | None) -> list[tuple[str, Role, User]]:
    """The people the team columns name; checked even when the unit is unknown."""
    chosen = []
    for column, role_code in TEAM_COLUMNS.items():
        value = row.text(column)
        role = lookups.roles.get(role_code)
        if not value:
            continue
        if role is None:
            row.fail(column, f"The role {role_code} is not set up; ask an administrator.")
            continue
        user = _team_user(row, column, value, lookups)
        problem = _team_problem(user, role, unit) if user else ""
        if problem:
            row.fail(column, problem)
        elif user is not None:
            chosen.append((column, role, user))
    return chosen


def _team_user(row: _Row, column: str, value: str, lookups: _Lookups) -> User | None:
    users = lookups.users(value)
    if len(users) == 1:
        return users[0]
    if users:
        row.fail(column, f"{value!r} matches several users; give the username.")
    else:
        row.fail(column, f"No user has the username or e-mail {value!r}.")
    return None


def _team_problem(user: User, role: Role, unit: BusinessUnit | None) -> str:
    """Why the person cannot hold the role on this unit's client (as assign_team_member says)."""
    if not user.is_active:
        return f"{user.username} is not an active user."
    if role.code not in user.role_codes():
        return f"{user.username} does not have the role {role.label}."
    if unit is not None and unit.pk not in user.unit_ids() and not user.is_superuser:
        return f"{user.username} does not work in {unit}."
    return ""


def _existing_client(
    row: _Row, index: _ClientIndex, unit: BusinessUnit, values: Mapping[str, Any]
) -> Client | None:
    if "name" not in values:
        return None
    matches = index.match(unit, values.get("external_id", ""), values["name"])
    if len(matches) > 1:
        row.fail(
            "name",
            f"{len(matches)} clients in {unit} are called {values['name']!r}; "
            "add an external_id column to say which.",
        )
        return None
    return matches[0] if matches else None


def _client_as_saved(
    existing: Client | None, unit: BusinessUnit, values: Mapping[str, Any]
) -> Client:
    """An unsaved copy of the client as the row would leave it, to validate."""
    instance = copy.copy(existing) if existing else Client(business_unit=unit)
    for name, value in values.items():
        setattr(instance, name, value)
    return instance


def _changed(instance: models.Model, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if getattr(instance, name) != value}


def _transitions(row: _Row, existing: Client | None, status: str | None) -> list[str]:
    """The life-cycle steps from the client's status (onboarding when new) to the row's."""
    if status is None:
        return []
    start = existing.status if existing else ClientStatus.ONBOARDING
    path = _status_path(start, status)
    if path is None:
        row.fail("status", f"A client cannot go from {start} to {status}.")
        return []
    return path


def _status_path(start: str, goal: str) -> list[str] | None:
    """The shortest walk of client transitions from one status to another."""
    status_field = cast(FSMField, Client._meta.get_field("status"))
    edges = [
        (str(t.source), str(t.target), t.name)
        for t in status_field.get_all_transitions(Client)
        if t.name in CLIENT_TRANSITIONS
    ]
    paths: dict[str, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if state == goal:
            return paths[state]
        for source, target, name in edges:
            if source == state and target not in paths:
                paths[target] = [*paths[state], name]
                queue.append(target)
    return None


def _team_changes(
    existing: Client | None, team: list[tuple[str, Role, User]]
) -> list[tuple[str, Role, User]]:
    if existing is None:
        return team
    current = dict(ClientTeamMember.objects.filter(client=existing).values_list("role", "user"))
    return [(column, role, user) for column, role, user in team if current.get(role.pk) != user.pk]


def _contact_plan(
    row: _Row, existing: Client | None, values: dict[str, str]
) -> _ContactPlan | None:
    if "email" not in values or "name" not in values:
        return None
    contact = None
    if existing is not None:
        contact = existing.contacts.filter(email__iexact=values["email"]).first()
    if contact is None:
        has_primary = existing is not None and existing.contacts.filter(is_primary=True).exists()
        data: dict[str, Any] = {**values, "is_primary": not has_primary}
        _model_problems(row, Contact(**data), _CONTACT_COLUMN_OF, exclude=["client"])
        return _ContactPlan(contact=None, data=data)
    changes = _changed(contact, {k: v for k, v in values.items() if k != "email"})
    _model_problems(row, _copy_with(contact, changes), _CONTACT_COLUMN_OF, exclude=["client"])
    return _ContactPlan(contact=contact, data=changes) if changes else None


_CONTACT_COLUMN_OF = {name: column for column, name in CONTACT_COLUMNS.items()}


def _copy_with(instance: models.Model, values: Mapping[str, Any]) -> models.Model:
    changed = copy.copy(instance)
    for name, value in values.items():
        setattr(changed, name, value)
    return changed


def _check_client_rights(row: _Row, by: Any, plan: _ClientPlan) -> None:
    """The capabilities the services will ask for, checked now so a dry run reports them."""
    if plan.client is None and not by.has_capability(Capability.CREATE_CLIENT):
        row.fail("name", _refusal(Capability.CREATE_CLIENT))
    edits = (plan.client is not None and plan.data) or plan.team or plan.contact
    if edits and not by.has_capability(Capability.EDIT_CLIENT):
        row.fail("name", _refusal(Capability.EDIT_CLIENT))
    if plan.transitions and not by.has_capability(Capability.CHANGE_CLIENT_STATUS):
        row.fail("status", _refusal(Capability.CHANGE_CLIENT_STATUS))


# Clients: writing ---------------------------------------------------------------------


def _at(row: int, column: str | None = None) -> Locate:
    """Place a service's complaint on the row: on `column`, else on the field it names."""
    return lambda name: (row, column or ("" if name == NON_FIELD_ERRORS else name))


def _apply_client(plan: _ClientPlan, by: Any) -> None:
    client = plan.client
    if client is None:
        data = {"business_unit": plan.unit, **plan.data}
        client = _attempt(
            lambda: services.create_client(by=by, data=data, announce=False), _at(plan.row)
        )
    elif plan.data:
        update = partial(services.update_client, client=client, by=by, changes=plan.data)
        _attempt(update, _at(plan.row))
    for column, role, user in plan.team:
        assign = partial(services.assign_team_member, client=client, by=by, role=role, user=user)
        _attempt(assign, _at(plan.row, column))
    if plan.contact is not None:
        _apply_contact(plan.row, client, plan.contact, by)
    for name in plan.transitions:
        step = partial(services.change_client_status, client=client, by=by, transition_name=name)
        _attempt(step, _at(plan.row, "status"))


def _apply_contact(row: int, client: Client, plan: _ContactPlan, by: Any) -> None:
    def locate(name: str) -> tuple[int, str]:
        return row, _CONTACT_COLUMN_OF.get(name, "contact_email")

    if plan.contact is None:
        _attempt(partial(services.add_contact, client=client, by=by, data=plan.data), locate)
    else:
        change = partial(services.update_contact, contact=plan.contact, by=by, changes=plan.data)
        _attempt(change, locate)


# Contracts: checking ------------------------------------------------------------------

_TERM_COLUMNS = ("currency", "start_date", "term_months", "renewal_date", "status")


@dataclass
class _ContractRow:
    """A good row of a contracts file: the contract it belongs to and the line it gives."""

    row: _Row
    client: Client
    reference: str
    terms: dict[str, Any]
    service: ServiceLine | None
    budget: Decimal | None


@dataclass
class _LinePlan:
    row: int
    service: ServiceLine
    budget: Decimal


@dataclass
class _ContractPlan:
    """What to do with one contract (several rows): create, or update terms and lines."""

    rows: dict[str, int]  # the row each term came from; "" is the contract's first row
    client: Client
    reference: str
    contract: Contract | None  # None: create one
    data: dict[str, Any]
    activate: bool
    lines: list[_LinePlan]

    def outcome(self) -> str:
        if self.contract is None:
            return "created"
        return "updated" if (self.data or self.activate or self.lines) else "unchanged"

    def apply(self, by: Any) -> None:
        _apply_contract(self, by)

    def locate(self, name: str) -> tuple[int, str]:
        """Where a service's complaint about this contract belongs."""
        line = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", name)
        if line:
            index, column = int(line.group(1)), line.group(2)
            row = self.lines[index].row if index < len(self.lines) else self.rows[""]
            return row, column
        column = "status" if name == "transition" else name
        if column == NON_FIELD_ERRORS:
            column = ""
        return self.rows.get(column, self.rows[""]), column


def _plan_contracts(rows: list[_Row], lookups: _Lookups) -> list[_Plan]:
    groups: dict[tuple[int, str], list[_ContractRow]] = defaultdict(list)
    for row in rows:
        item = _read_contract_row(row, lookups)
        if item is not None:
            groups[(item.client.pk, item.reference)].append(item)
    plans: list[_Plan] = []
    for items in groups.values():
        plan = _plan_contract(items)
        if plan is not None:
            plans.append(plan)
    return plans


def _read_contract_row(row: _Row, lookups: _Lookups) -> _ContractRow | None:
    unit = _row_unit(row, lookups, required=False)
    client = None
    if not row.failed("business_unit"):
        client = _contract_client(row, lookups, unit)
    reference = row.text("reference")
    if not reference:
        row.fail("reference", "Give the contract's reference.")
    terms = _contract_terms(row)
    service, budget = _contract_line(row, lookups)
    if client is None or not reference:
        return None
    return _ContractRow(row, client, reference, terms, service, budget)


def _contract_client(row: _Row, lookups: _Lookups, unit: BusinessUnit | None) -> Client | None:
    value = row.text("client")
    if not value:
        row.fail("client", "Give the client's external id or name.")
        return None
    clients = lookups.visible_clients(unit, value)
    if len(clients) == 1:
        return clients[0]
    where = f" in {unit}" if unit else ""
    if not clients:
        row.fail("client", f"No client you can see{where} has the external id or name {value!r}.")
    elif unit is None and len({c.business_unit_id for c in clients}) > 1:
        row.fail("client", f"{value!r} is a client of several units; add a business_unit column.")
    else:
        row.fail("client", f"Several clients{where} are called {value!r}; use the external id.")
    return None


def _contract_terms(row: _Row) -> dict[str, Any]:
    """The contract-wide values the row gives (blank cells left out)."""
    terms: dict[str, Any] = {}
    if row.text("currency"):
        terms["currency"] = row.text("currency").upper()
    for column in ("start_date", "renewal_date"):
        day = _date_cell(row, column)
        if day is not None:
            terms[column] = day
    months = _months_cell(row, "term_months")
    if months is not None:
        terms["term_months"] = months
    if row.text("status"):
        status = _choice(ContractStatus, row.text("status"))
        if status is None:
            row.fail(
                "status", f"{row.text('status')!r} is not a contract status; use draft or active."
            )
        else:
            terms["status"] = status
    return terms


def _contract_line(row: _Row, lookups: _Lookups) -> tuple[ServiceLine | None, Decimal | None]:
    name = row.text("service")
    budget = _decimal_cell(row, "monthly_budget")
    service = lookups.service(name) if name else None
    if name and service is None:
        row.fail("service", f"No service of the catalogue has the code or name {name!r}.")
    if name and budget is None and not row.failed("monthly_budget"):
        row.fail("monthly_budget", "Give the monthly budget of the service.")
    if budget is not None and not name:
        row.fail("service", "Name the service this budget is for.")
    return service, budget


def _plan_contract(items: list[_ContractRow]) -> _ContractPlan | None:
    first = items[0]
    terms, origins = _merged_terms(items)
    contract = (
        Contract.objects.filter(client=first.client, reference=first.reference)
        .prefetch_related("lines")
        .first()
    )
    status = terms.pop("status", None)
    activate = _activation(contract, status, origins.get("status", first.row))
    if contract is None:
        terms.setdefault("currency", "USD")
        _require_terms(items, terms)
    _contract_problems(items, contract, terms, origins)
    lines = _line_plans(items, contract)
    if any(item.row.bad for item in items):
        return None
    rows = {column: row.number for column, row in origins.items()}
    return _ContractPlan(
        rows={**rows, "": first.row.number},
        client=first.client,
        reference=first.reference,
        contract=contract,
        data=terms if contract is None else _changed(contract, terms),
        activate=activate,
        lines=lines,
    )


def _merged_terms(items: list[_ContractRow]) -> tuple[dict[str, Any], dict[str, _Row]]:
    """The contract's terms from all its rows; a later row may repeat a value, not contradict it."""
    terms: dict[str, Any] = {}
    origins: dict[str, _Row] = {}
    for item in items:
        for column, value in item.terms.items():
            if column not in terms:
                terms[column], origins[column] = value, item.row
            elif terms[column] != value:
                item.row.fail(
                    column,
                    f"Differs from row {origins[column].number} of the same contract "
                    f"({item.reference}).",
                )
    return terms, origins


def _activation(contract: Contract | None, status: str | None, row: _Row) -> bool:
    """Whether to activate: new contracts start active unless the row says draft; an
    existing draft may be activated; other status changes belong on the contract page."""
    if contract is None:
        if status not in (None, ContractStatus.DRAFT, ContractStatus.ACTIVE):
            row.fail("status", "A new contract starts as draft or active.")
        return status in (None, ContractStatus.ACTIVE)
    if status is None or status == contract.status:
        return False
    if contract.status == ContractStatus.DRAFT and status == ContractStatus.ACTIVE:
        return True
    row.fail(
        "status",
        f"The contract is {contract.get_status_display().lower()}; an import can only "
        "activate a draft. Change its status on the contract page.",
    )
    return False


def _require_terms(items: list[_ContractRow], terms: Mapping[str, Any]) -> None:
    for column, label in (("start_date", "start date"), ("term_months", "term in months")):
        if column not in terms and not any(item.row.failed(column) for item in items):
            items[0].row.fail(column, f"Give the {label} of the new contract {items[0].reference}.")


def _contract_problems(
    items: list[_ContractRow],
    contract: Contract | None,
    terms: Mapping[str, Any],
    origins: Mapping[str, _Row],
) -> None:
    """Validate the contract as the row would leave it; report each problem on its row."""
    first = items[0]
    instance = _copy_with(
        contract or Contract(client=first.client), {"reference": first.reference, **terms}
    )
    try:
        instance.full_clean(exclude=_state_fields(instance))
    except ValidationError as error:
        for name, messages in errors_by_field(error).items():
            column = name if name in CONTRACT_COLUMNS else ""
            if any(item.row.failed(column) for item in items):
                continue
            for message in messages:
                origins.get(column, first.row).fail(column, message)


def _line_plans(items: list[_ContractRow], contract: Contract | None) -> list[_LinePlan]:
    """The lines to add or whose budget changes; a service appears once per contract."""
    current = (
        {line.service_id: line.monthly_budget for line in contract.lines.all()} if contract else {}
    )
    seen: dict[int, int] = {}
    plans = []
    for item in items:
        if item.service is None or item.budget is None:
            continue
        row, service = item.row, item.service
        if service.pk in seen:
            row.fail("service", f"{service} is already on row {seen[service.pk]} of this contract.")
            continue
        seen[service.pk] = row.number
        if service.pk not in current and not service.is_active:
            row.fail("service", f"{service} is no longer offered.")
            continue
        line = ContractLine(service=service, monthly_budget=item.budget)
        _model_problems(row, line, {}, exclude=["contract"])
        if current.get(service.pk) != item.budget:
            plans.append(_LinePlan(row.number, service, item.budget))
    return plans


# Contracts: writing -------------------------------------------------------------------


def _apply_contract(plan: _ContractPlan, by: Any) -> None:
    if plan.contract is None:
        lines = [{"service": line.service, "monthly_budget": line.budget} for line in plan.lines]
        create = partial(
            services.create_contract,
            client=plan.client,
            by=by,
            data={"reference": plan.reference, **plan.data},
            lines=lines,
            activate=plan.activate,
        )
        _attempt(create, plan.locate)
        return
    contract = plan.contract
    if plan.data:
        _attempt(
            partial(services.update_contract, contract=contract, by=by, changes=plan.data),
            plan.locate,
        )
    if plan.activate:
        activate = partial(
            services.change_contract_status, contract=contract, by=by, transition_name="activate"
        )
        _attempt(activate, plan.locate)
    for line in plan.lines:
        set_line = partial(
            services.set_contract_line,
            contract=contract,
            by=by,
            service=line.service,
            monthly_budget=line.budget,
        )
        _attempt(set_line, _at(line.row))


# Export -----------------------------------------------------------------------------


def export_data(*, kind: str, user: Any, fmt: str) -> ExportFile:
    """The clients or contracts the user can see, as a file the import reads back."""
    if kind not in KINDS:
        raise invalid("kind", f"Export clients or contracts, not {kind!r}.")
    exporter = export_clients if kind == "clients" else export_contracts
    return exporter(user=user, fmt=fmt)


def export_clients(*, user: Any, fmt: str) -> ExportFile:
    """Every client the user can see, one row each, in the columns of the clients import."""
    clients = (
        visible_clients(user)
        .select_related("business_unit")
        .prefetch_related(
            Prefetch("team", queryset=ClientTeamMember.objects.select_related("role", "user")),
            "contacts",
        )
        .order_by("business_unit__code", "name", "id")
    )
    return _export("clients", CLIENT_COLUMNS, [_client_record(c) for c in clients], fmt)


def export_contracts(*, user: Any, fmt: str) -> ExportFile:
    """Every contract line of the clients the user can see, in the columns of the import."""
    contracts = (
        Contract.objects.filter(client__in=visible_clients(user))
        .select_related("client__business_unit")
        .prefetch_related(
            Prefetch("lines", queryset=ContractLine.objects.select_related("service"))
        )
        .order_by("client__business_unit__code", "client__name", "client_id", "reference")
    )
    records = [record for contract in contracts for record in _contract_records(contract)]
    return _export("contracts", CONTRACT_COLUMNS, records, fmt)


def _client_record(client: Client) -> list[Any]:
    team = {member.role.code: member.user.username for member in client.team.all()}
    contacts = list(client.contacts.all())  # the primary contact comes first
    contact = contacts[0] if contacts else None
    record = {
        "name": client.name,
        "business_unit": client.business_unit.code,
        "status": client.status,
        "external_id": client.external_id,
        "website": client.website,
        "industry": client.industry,
        "notes": client.notes,
        "sold_on": client.sold_on,
        **{column: team.get(code, "") for column, code in TEAM_COLUMNS.items()},
        "contact_name": contact.name if contact else "",
        "contact_email": contact.email if contact else "",
        "contact_phone": contact.phone if contact else "",
    }
    return [record[column] for column in CLIENT_COLUMNS]


def _contract_records(contract: Contract) -> list[list[Any]]:
    """One record per line (one with blank service and budget for a contract without lines)."""
    client = contract.client
    terms = {
        "client": client.external_id or client.name,
        "business_unit": client.business_unit.code,
        "reference": contract.reference,
        "currency": contract.currency,
        "start_date": contract.start_date,
        "term_months": contract.term_months,
        "renewal_date": contract.renewal_date,
        "status": contract.status,
    }
    lines: list[ContractLine | None] = [*contract.lines.all()] or [None]
    records = []
    for line in lines:
        record = {
            **terms,
            "service": line.service.code if line else "",
            "monthly_budget": line.monthly_budget if line else None,
        }
        records.append([record[column] for column in CONTRACT_COLUMNS])
    return records


def _export(kind: str, columns: Sequence[str], records: list[list[Any]], fmt: str) -> ExportFile:
    if fmt not in CONTENT_TYPES:
        raise invalid("format", f"Export as csv or xlsx, not {fmt!r}.")
    dataset = tablib.Dataset(*records, headers=list(columns), title=kind.capitalize())
    if fmt == "csv":
        # The BOM lets Excel open accented names correctly; the import skips it.
        content = dataset.export("csv").encode("utf-8-sig")
    else:
        content = _formulas_as_text(dataset.export("xlsx"))
    filename = f"retainops-{kind}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return ExportFile(content=content, content_type=CONTENT_TYPES[fmt], filename=filename)


def _formulas_as_text(content: bytes) -> bytes:
    """Store text starting with '=' as text: a client called '=HYPERLINK(...)' must not
    become a live formula for whoever opens the export (and must import back unchanged)."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    for row in workbook.active.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
