"""Export: the clients or contracts a person can see, as a CSV or XLSX file.

The columns are those of the import, so an export can be edited and imported
again; a client or contract exported and imported back comes out unchanged.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
import tablib
from django.db.models import Prefetch
from django.utils import timezone

from retainops.clients.models import Client, ClientTeamMember, Contract, ContractLine
from retainops.clients.queries import visible_clients
from retainops.clients.transfer.columns import CLIENT_COLUMNS, CONTRACT_COLUMNS, KINDS, TEAM_COLUMNS
from retainops.clients.transfer.formats import CONTENT_TYPES
from retainops.core.errors import invalid
from retainops.core.spreadsheets import csv_safe_row


@dataclass(frozen=True)
class ExportFile:
    """A file to hand to the browser or an API caller."""

    content: bytes
    content_type: str
    filename: str


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
    return _export_file("clients", CLIENT_COLUMNS, [_client_record(c) for c in clients], fmt)


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
    return _export_file("contracts", CONTRACT_COLUMNS, records, fmt)


def _client_record(client: Client) -> list[Any]:
    """The client's cells in the order of CLIENT_COLUMNS."""
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


def _export_file(
    kind: str, columns: Sequence[str], records: list[list[Any]], fmt: str
) -> ExportFile:
    """The records as a tablib dataset, written in the format asked for."""
    if fmt not in CONTENT_TYPES:
        raise invalid("format", f"Export as csv or xlsx, not {fmt!r}.")
    if fmt == "csv":
        records = [csv_safe_row(record) for record in records]
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
