"""What an import does to one contract, and doing it through the contract services.

A contract spans several rows of the file (one per line); each term and line
remembers its row, so that a service's refusal is reported where it belongs.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS

from retainops.clients import services
from retainops.clients.models import Client, Contract, ServiceLine
from retainops.clients.transfer.writing import at, attempt


@dataclass
class LinePlan:
    """A line to add to the contract, or whose monthly budget changes."""

    row: int
    service: ServiceLine
    budget: Decimal


@dataclass
class ContractPlan:
    """What to do with one contract (several rows): create, or update terms and lines."""

    rows: dict[str, int]  # the row each term came from; "" is the contract's first row
    client: Client
    reference: str
    contract: Contract | None  # None: create one
    data: dict[str, Any]
    activate: bool
    lines: list[LinePlan]

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


def _apply_contract(plan: ContractPlan, by: Any) -> None:
    """A new contract is created with its lines at once; an existing one gets its term
    changes, then its activation, then each line."""
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
        attempt(create, plan.locate)
        return
    contract = plan.contract
    if plan.data:
        attempt(
            partial(services.update_contract, contract=contract, by=by, changes=plan.data),
            plan.locate,
        )
    if plan.activate:
        activate = partial(
            services.change_contract_status, contract=contract, by=by, transition_name="activate"
        )
        attempt(activate, plan.locate)
    for line in plan.lines:
        set_line = partial(
            services.set_contract_line,
            contract=contract,
            by=by,
            service=line.service,
            monthly_budget=line.budget,
        )
        attempt(set_line, at(line.row))
