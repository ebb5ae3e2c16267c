"""Checking a contracts file: rows grouped into contracts, validated, turned into plans.

Every problem of every row is collected; nothing is written here. An import
creates contracts, changes their terms and line budgets, adds lines and
activates drafts; other status changes belong on the contract page.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from retainops.clients.choices import ContractStatus
from retainops.clients.models import Contract, ContractLine
from retainops.clients.transfer.cells import Row
from retainops.clients.transfer.columns import CONTRACT_COLUMNS
from retainops.clients.transfer.contract_plans import ContractPlan, LinePlan
from retainops.clients.transfer.contract_rows import ContractRow, read_contract_row
from retainops.clients.transfer.lookups import Lookups
from retainops.clients.transfer.validation import changed, copy_with, model_problems, state_fields
from retainops.clients.transfer.writing import Plan
from retainops.core.errors import errors_by_field


def plan_contracts(rows: Iterable[Row], lookups: Lookups) -> list[Plan]:
    """A plan for each contract whose rows are all good; the problems stay on the rows."""
    groups: dict[tuple[int, str], list[ContractRow]] = defaultdict(list)
    for row in rows:
        item = read_contract_row(row, lookups)
        if item is not None:
            groups[(item.client.pk, item.reference)].append(item)
    plans: list[Plan] = []
    for items in groups.values():
        plan = _plan_contract(items)
        if plan is not None:
            plans.append(plan)
    return plans


def _plan_contract(items: list[ContractRow]) -> ContractPlan | None:
    """Compare the rows of one contract with the contract as stored (if it exists)."""
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
    return ContractPlan(
        rows={**rows, "": first.row.number},
        client=first.client,
        reference=first.reference,
        contract=contract,
        data=terms if contract is None else changed(contract, terms),
        activate=activate,
        lines=lines,
    )


def _merged_terms(items: list[ContractRow]) -> tuple[dict[str, Any], dict[str, Row]]:
    """The contract's terms from all its rows; a later row may repeat a value, not contradict it."""
    terms: dict[str, Any] = {}
    origins: dict[str, Row] = {}
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


def _activation(contract: Contract | None, status: str | None, row: Row) -> bool:
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


def _require_terms(items: list[ContractRow], terms: Mapping[str, Any]) -> None:
    """A new contract needs its start and term from one of its rows."""
    for column, label in (("start_date", "start date"), ("term_months", "term in months")):
        if column not in terms and not any(item.row.failed(column) for item in items):
            items[0].row.fail(column, f"Give the {label} of the new contract {items[0].reference}.")


def _contract_problems(
    items: list[ContractRow],
    contract: Contract | None,
    terms: Mapping[str, Any],
    origins: Mapping[str, Row],
) -> None:
    """Validate the contract as the row would leave it; report each problem on its row."""
    first = items[0]
    instance = copy_with(
        contract or Contract(client=first.client), {"reference": first.reference, **terms}
    )
    try:
        instance.full_clean(exclude=state_fields(instance))
    except ValidationError as error:
        for name, messages in errors_by_field(error).items():
            column = name if name in CONTRACT_COLUMNS else ""
            if any(item.row.failed(column) for item in items):
                continue
            for message in messages:
                origins.get(column, first.row).fail(column, message)


def _line_plans(items: list[ContractRow], contract: Contract | None) -> list[LinePlan]:
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
        model_problems(row, line, {}, exclude=["contract"])
        if current.get(service.pk) != item.budget:
            plans.append(LinePlan(row.number, service, item.budget))
    return plans
