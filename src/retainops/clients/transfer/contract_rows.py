"""The rows of a contracts file: which client and contract each names, and the line it gives.

A row gives a contract's terms (blank cells left out) and at most one line
(a service and its monthly budget); rows with the same client and reference
are the lines of one contract.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retainops.clients.choices import ContractStatus
from retainops.clients.models import Client, ServiceLine
from retainops.clients.transfer.cells import Row, choice, date_cell, decimal_cell, months_cell
from retainops.clients.transfer.lookups import Lookups, row_unit
from retainops.core.models import BusinessUnit


@dataclass
class ContractRow:
    """A good row of a contracts file: the contract it belongs to and the line it gives."""

    row: Row
    client: Client
    reference: str
    terms: dict[str, Any]
    service: ServiceLine | None
    budget: Decimal | None


def read_contract_row(row: Row, lookups: Lookups) -> ContractRow | None:
    """The row's client, contract and line; None (with problems on the row) if unusable."""
    unit = row_unit(row, lookups, required=False)
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
    return ContractRow(row, client, reference, terms, service, budget)


def _contract_client(row: Row, lookups: Lookups, unit: BusinessUnit | None) -> Client | None:
    """The one client the importer can see with that external id, else that name."""
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


def _contract_terms(row: Row) -> dict[str, Any]:
    """The contract-wide values the row gives (blank cells left out)."""
    terms: dict[str, Any] = {}
    if row.text("currency"):
        terms["currency"] = row.text("currency").upper()
    for column in ("start_date", "renewal_date"):
        day = date_cell(row, column)
        if day is not None:
            terms[column] = day
    months = months_cell(row, "term_months")
    if months is not None:
        terms["term_months"] = months
    if row.text("status"):
        status = choice(ContractStatus, row.text("status"))
        if status is None:
            row.fail(
                "status", f"{row.text('status')!r} is not a contract status; use draft or active."
            )
        else:
            terms["status"] = status
    return terms


def _contract_line(row: Row, lookups: Lookups) -> tuple[ServiceLine | None, Decimal | None]:
    """The service and budget of the row's line; both or neither."""
    name = row.text("service")
    budget = decimal_cell(row, "monthly_budget")
    service = lookups.service(name) if name else None
    if name and service is None:
        row.fail("service", f"No service of the catalogue has the code or name {name!r}.")
    if name and budget is None and not row.failed("monthly_budget"):
        row.fail("monthly_budget", "Give the monthly budget of the service.")
    if budget is not None and not name:
        row.fail("service", "Name the service this budget is for.")
    return service, budget
