"""Operations that change the client record.

Each function is keyword-only, runs in one transaction, checks permission
inside, validates fully before writing, and leaves an audit row (the history
records carry the person who acted). Those that take `problems` add the
model's complaints to what the caller already found (bad fields of an API
body, unknown codes) and refuse once, naming every field, before writing.
"""

import calendar
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from retainops.clients import events
from retainops.clients.choices import ContractStatus
from retainops.clients.models import (
    CLIENT_TRANSITIONS,
    CONTRACT_TRANSITIONS,
    Client,
    ClientTeamMember,
    ClientTool,
    Contact,
    Contract,
    ContractLine,
    ServiceLine,
    Tool,
)
from retainops.core.access import require_capability, require_unit_access
from retainops.core.audit import delete_audited, retire_audited, save_audited
from retainops.core.capabilities import Capability
from retainops.core.errors import Problems, invalid
from retainops.core.events import ConfigurationChanged, emit
from retainops.core.models import BusinessUnit, Role, User

CLIENT_FIELDS = ("name", "business_unit", "external_id", "website", "industry", "notes", "sold_on")
CONTACT_FIELDS = ("name", "email", "phone", "title", "is_primary")
CONTRACT_FIELDS = ("reference", "currency", "start_date", "term_months", "renewal_date", "notes")


def _apply(
    instance: Any, data: dict[str, Any], allowed: tuple[str, ...], problems: Problems
) -> None:
    """Set the allowed fields; name any other as a problem."""
    for name, value in data.items():
        if name in allowed:
            setattr(instance, name, value)
        else:
            problems.add(name, "This field cannot be set here.")


def _validated(instance: Any, problems: Problems | None) -> Problems:
    """Everything wrong with `instance` and what the caller found before; refuse if any."""
    found = Problems() if problems is None else problems
    found.check(instance)
    found.raise_if_any()
    return found


def _check_client_editor(client: Client, by: Any) -> None:
    require_capability(by, Capability.EDIT_CLIENT)
    require_unit_access(by, client.business_unit_id)


def _check_unit_in_use(unit: BusinessUnit, problems: Problems) -> None:
    """A retired unit keeps its clients but takes no new ones (the pages offer only
    active units; the API is held to the same rule here)."""
    if not unit.is_active:
        problems.add("business_unit", f"{unit} is retired and takes no new clients.")


def _announce_sale(client: Client, by: Any) -> None:
    """A client sold (or won back) now: playbooks triggered by the sale start."""
    emit(events.ClientSold(client=client, by=by, anchors={"sold": timezone.now()}))


@transaction.atomic
def create_client(
    *, by: Any, data: dict[str, Any], announce: bool = True, problems: Problems | None = None
) -> Client:
    """Record a new client. `announce=False` (imports of clients the agency already has)
    records it without starting the processes a sale starts."""
    require_capability(by, Capability.CREATE_CLIENT)
    problems = Problems() if problems is None else problems
    unit = data.get("business_unit")
    if isinstance(unit, BusinessUnit):
        require_unit_access(by, unit.pk)
        _check_unit_in_use(unit, problems)
    elif "business_unit" not in problems.named():
        problems.add("business_unit", "Choose a business unit.")
    client = Client()
    _apply(client, {k: v for k, v in data.items() if k != "business_unit"}, CLIENT_FIELDS, problems)
    if isinstance(unit, BusinessUnit):
        client.business_unit = unit
    _validated(client, problems)
    save_audited(client, by, "created")
    emit(events.ClientCreated(client=client, by=by))
    if announce:
        _announce_sale(client, by)
    return client


@transaction.atomic
def update_client(
    *, client: Client, by: Any, changes: dict[str, Any], problems: Problems | None = None
) -> Client:
    _check_client_editor(client, by)
    problems = Problems() if problems is None else problems
    new_unit = changes.get("business_unit")
    if isinstance(new_unit, BusinessUnit) and new_unit.pk != client.business_unit_id:
        require_unit_access(by, new_unit.pk)
        _check_unit_in_use(new_unit, problems)
    _apply(client, changes, CLIENT_FIELDS, problems)
    _validated(client, problems)
    save_audited(client, by)
    emit(events.ClientUpdated(client=client, by=by, fields=tuple(changes)))
    return client


@transaction.atomic
def delete_client(*, client: Client, by: Any) -> None:
    """Remove a client entered by mistake; its history rows stay."""
    require_capability(by, Capability.DELETE_CLIENT)
    require_unit_access(by, client.business_unit_id)
    client_id, client_name = client.pk, client.name
    delete_audited(client, by)
    emit(events.ClientDeleted(client_id=client_id, client_name=client_name, by=by))


@transaction.atomic
def change_client_status(*, client: Client, by: Any, transition_name: str) -> Client:
    """Move the client along its life cycle (e.g. 'pause', 'give_notice')."""
    require_capability(by, Capability.CHANGE_CLIENT_STATUS)
    require_unit_access(by, client.business_unit_id)
    if transition_name not in CLIENT_TRANSITIONS:
        raise invalid("transition", f"Unknown transition {transition_name!r}.")
    method = getattr(client, transition_name)
    if not can_proceed(method):
        raise invalid(
            "transition",
            f"A client that is {client.get_status_display().lower()} cannot "
            f"{CLIENT_TRANSITIONS[transition_name].lower()}.",
        )
    try:
        method()
    except TransitionNotAllowed as error:
        raise invalid("transition", str(error)) from None
    _save_transition(client, by, transition_name)
    emit(
        events.ClientStatusChanged(
            client=client, by=by, transition=transition_name, status=client.status
        )
    )
    if transition_name == "win_back":
        _announce_sale(client, by)
    return client


def _save_transition(instance: Any, by: Any, transition_name: str) -> None:
    """Save a status move; refuse it if someone else moved the row first.

    ConcurrentTransitionMixin writes with `WHERE status = <the status we read>`,
    so of two people acting on the same row at once only one succeeds.
    """
    try:
        save_audited(instance, by, f"status: {transition_name}")
    except ConcurrentTransition:
        raise invalid(
            "transition", "Someone else changed this status a moment ago; reload and try again."
        ) from None


@transaction.atomic
def assign_team_member(*, client: Client, by: Any, role: Role, user: User | None) -> None:
    """Put a person in a role on the client's team (None removes whoever holds it)."""
    _check_client_editor(client, by)
    current = ClientTeamMember.objects.filter(client=client, role=role).first()
    if user is None:
        if current is not None:
            delete_audited(current, by)
            emit(events.TeamMemberAssigned(client=client, by=by, role=role.code, user=None))
        return
    if not user.is_active:
        raise invalid("user", f"{user.username} is not an active user.")
    if role.code not in user.role_codes():
        raise invalid("user", f"{user.username} does not have the role {role.label}.")
    if client.business_unit_id not in user.unit_ids() and not user.is_superuser:
        raise invalid("user", f"{user.username} does not work in {client.business_unit}.")
    member = current or ClientTeamMember(client=client, role=role)
    member.user = user
    save_audited(member, by)
    emit(events.TeamMemberAssigned(client=client, by=by, role=role.code, user=user))


@transaction.atomic
def add_contact(
    *, client: Client, by: Any, data: dict[str, Any], problems: Problems | None = None
) -> Contact:
    _check_client_editor(client, by)
    problems = Problems() if problems is None else problems
    contact = Contact(client=client)
    _apply(contact, data, CONTACT_FIELDS, problems)
    _validated(contact, problems)
    save_audited(contact, by)
    emit(events.ContactChanged(client=client, contact=contact, change="added", by=by))
    return contact


@transaction.atomic
def update_contact(
    *, contact: Contact, by: Any, changes: dict[str, Any], problems: Problems | None = None
) -> Contact:
    _check_client_editor(contact.client, by)
    problems = Problems() if problems is None else problems
    _apply(contact, changes, CONTACT_FIELDS, problems)
    _validated(contact, problems)
    save_audited(contact, by)
    emit(events.ContactChanged(client=contact.client, contact=contact, change="updated", by=by))
    return contact


@transaction.atomic
def remove_contact(*, contact: Contact, by: Any) -> None:
    _check_client_editor(contact.client, by)
    delete_audited(contact, by)
    emit(events.ContactChanged(client=contact.client, contact=contact, change="removed", by=by))


@transaction.atomic
def add_client_tool(*, client: Client, by: Any, tool: Tool, reference: str = "") -> ClientTool:
    _check_client_editor(client, by)
    if not tool.is_active:
        raise invalid("tool", f"{tool} is retired: no client is set up in it any more.")
    if ClientTool.objects.filter(client=client, tool=tool).exists():
        raise invalid("tool", f"The client is already set up in {tool}.")
    entry = ClientTool(client=client, tool=tool, reference=reference)
    save_audited(entry, by)
    emit(events.ClientToolChanged(client=client, entry=entry, change="added", by=by))
    return entry


@transaction.atomic
def remove_client_tool(*, entry: ClientTool, by: Any) -> None:
    _check_client_editor(entry.client, by)
    delete_audited(entry, by)
    emit(events.ClientToolChanged(client=entry.client, entry=entry, change="removed", by=by))


MRR_CHUNK = 5000


def refresh_mrr(client_ids: Iterable[int]) -> None:
    """Recompute the stored MRR of these clients from their lines, in one UPDATE.

    Every path that adds, changes or removes a contract line, or moves a contract into
    or out of active, calls this once it has written (the services here, the change
    requests taking effect, the demo seed, the benchmark data); the list then reads a
    column instead of summing every visible client's lines on each request. A bulk
    load's ids go in chunks (one UPDATE each) to stay under the databases' limit of
    parameters in one statement.
    """
    ids = sorted(set(client_ids))
    total = (
        ContractLine.objects.filter(
            contract__client=OuterRef("pk"), contract__status=ContractStatus.ACTIVE
        )
        .order_by()
        .values("contract__client")
        .annotate(total=Sum("monthly_budget"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    mrr = Coalesce(Subquery(total, output_field=money), Value(Decimal("0"), output_field=money))
    for start in range(0, len(ids), MRR_CHUNK):
        Client.objects.filter(pk__in=ids[start : start + MRR_CHUNK]).update(mrr=mrr)


def _check_contract_editor(client: Client, by: Any) -> None:
    require_capability(by, Capability.EDIT_CONTRACT)
    require_unit_access(by, client.business_unit_id)


def _check_new_service(service: Any, field: str, problems: Problems, seen: set[int]) -> None:
    if not isinstance(service, ServiceLine):
        problems.add(field, "Choose a service from the catalogue.")
    elif not service.is_active:
        problems.add(field, f"{service} is no longer offered.")
    elif service.pk in seen:
        problems.add(field, f"{service} appears twice.")
    else:
        seen.add(service.pk)


def _check_budget(budget: Any, field: str, problems: Problems) -> None:
    if not isinstance(budget, Decimal) or budget < 0:
        problems.add(field, "Give a budget of zero or more.")


def _check_line_items(lines: list[dict[str, Any]], problems: Problems) -> None:
    """Name every bad field of the lines as `lines[<index>].<field>` (a field the caller
    already named is left alone: its value never arrived)."""
    seen: set[int] = set()
    for index, line in enumerate(lines):
        prefix = f"lines[{index}]"
        named = problems.named(prefix)
        service, budget = line.get("service"), line.get("monthly_budget")
        if "service" not in named:
            _check_new_service(service, f"{prefix}.service", problems, seen)
        if "monthly_budget" not in named:
            _check_budget(budget, f"{prefix}.monthly_budget", problems)
        entry = ContractLine()
        if isinstance(budget, Decimal):
            entry.monthly_budget = budget
        problems.check(entry, prefix, exclude=("contract", "service"))


@transaction.atomic
def create_contract(
    *,
    client: Client,
    by: Any,
    data: dict[str, Any],
    lines: list[dict[str, Any]],
    activate: bool,
    problems: Problems | None = None,
) -> Contract:
    """A contract with its service lines; activate=True makes it count toward MRR."""
    _check_contract_editor(client, by)
    problems = Problems() if problems is None else problems
    contract = Contract(client=client)
    _apply(contract, data, CONTRACT_FIELDS, problems)
    problems.check(contract)
    _check_line_items(lines, problems)
    problems.raise_if_any()
    if activate:
        contract.activate()
    save_audited(contract, by, "created")
    for line in lines:
        save_audited(
            ContractLine(
                contract=contract, service=line["service"], monthly_budget=line["monthly_budget"]
            ),
            by,
        )
    refresh_mrr([contract.client_id])
    emit(events.ContractRecorded(contract=contract, by=by))
    return contract


@transaction.atomic
def update_contract(
    *, contract: Contract, by: Any, changes: dict[str, Any], problems: Problems | None = None
) -> Contract:
    _check_contract_editor(contract.client, by)
    problems = Problems() if problems is None else problems
    _apply(contract, changes, CONTRACT_FIELDS, problems)
    _validated(contract, problems)
    save_audited(contract, by)
    emit(events.ContractUpdated(contract=contract, by=by, fields=tuple(changes)))
    return contract


@transaction.atomic
def set_contract_line(
    *, contract: Contract, by: Any, service: ServiceLine, monthly_budget: Decimal
) -> ContractLine:
    """Add a service to a contract or change its budget."""
    _check_contract_editor(contract.client, by)
    line = ContractLine.objects.filter(contract=contract, service=service).first()
    change = "updated" if line is not None else "added"
    problems = Problems()
    if line is None:
        _check_new_service(service, "service", problems, set())
        line = ContractLine(contract=contract, service=service)
    _check_budget(monthly_budget, "monthly_budget", problems)
    line.monthly_budget = monthly_budget
    _validated(line, problems)
    save_audited(line, by, "budget change")
    refresh_mrr([contract.client_id])
    emit(
        events.ContractLineChanged(
            contract=contract,
            service=service.code,
            change=change,
            monthly_budget=monthly_budget,
            by=by,
        )
    )
    return line


@transaction.atomic
def remove_contract_line(*, line: ContractLine, by: Any) -> None:
    _check_contract_editor(line.contract.client, by)
    delete_audited(line, by)
    refresh_mrr([line.contract.client_id])
    emit(
        events.ContractLineChanged(
            contract=line.contract,
            service=line.service.code,
            change="removed",
            monthly_budget=Decimal("0"),
            by=by,
        )
    )


@transaction.atomic
def change_contract_status(*, contract: Contract, by: Any, transition_name: str) -> Contract:
    _check_contract_editor(contract.client, by)
    if transition_name not in CONTRACT_TRANSITIONS:
        raise invalid("transition", f"Unknown transition {transition_name!r}.")
    method = getattr(contract, transition_name)
    if not can_proceed(method):
        raise invalid(
            "transition",
            f"A contract that is {contract.get_status_display().lower()} cannot "
            f"{CONTRACT_TRANSITIONS[transition_name].lower()}.",
        )
    method()
    _save_transition(contract, by, transition_name)
    refresh_mrr([contract.client_id])
    emit(
        events.ContractStatusChanged(
            contract=contract, by=by, transition=transition_name, status=contract.status
        )
    )
    return contract


def renewal_date_for(start: date, term_months: int) -> date:
    """The day a term of whole months starting on `start` comes up for renewal."""
    month_index = start.month - 1 + term_months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# Catalogue and tools -----------------------------------------------------------------


@transaction.atomic
def save_service_line(
    *,
    by: Any,
    service: ServiceLine | None,
    data: dict[str, Any],
    problems: Problems | None = None,
) -> ServiceLine:
    require_capability(by, Capability.MANAGE_CATALOGUE)
    service = service or ServiceLine()
    problems = Problems() if problems is None else problems
    _apply(service, data, ("code", "name", "description", "is_active"), problems)
    _validated(service, problems)
    save_audited(service, by)
    emit(ConfigurationChanged(entry=service, change="saved", by=by))
    return service


@transaction.atomic
def save_tool(
    *, by: Any, tool: Tool | None, data: dict[str, Any], problems: Problems | None = None
) -> Tool:
    require_capability(by, Capability.MANAGE_CATALOGUE)
    tool = tool or Tool()
    problems = Problems() if problems is None else problems
    _apply(tool, data, ("code", "name", "kind", "platform_exit_only", "is_active"), problems)
    _validated(tool, problems)
    save_audited(tool, by)
    emit(ConfigurationChanged(entry=tool, change="saved", by=by))
    return tool


@transaction.atomic
def retire_service_line(*, by: Any, service: ServiceLine) -> ServiceLine:
    """No longer offer a service (what clearing "Active" on its page does). The contract
    lines that use it stay; no new line may name it. Retiring a retired one changes nothing."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    service = retire_audited(service, by)
    emit(ConfigurationChanged(entry=service, change="retired", by=by))
    return service


@transaction.atomic
def retire_tool(*, by: Any, tool: Tool) -> Tool:
    """Mark a tool or board no longer used (what clearing "Active" on its page does); the
    clients set up in it keep their entry, so offboarding still removes them from it."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    tool = retire_audited(tool, by)
    emit(ConfigurationChanged(entry=tool, change="retired", by=by))
    return tool


def ensure_can_view(client: Client, user: Any) -> None:
    try:
        require_unit_access(user, client.business_unit_id)
    except PermissionDenied:
        raise Client.DoesNotExist from None
