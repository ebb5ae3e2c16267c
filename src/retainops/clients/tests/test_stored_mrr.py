"""The stored MRR (Client.mrr) follows every path that changes contract lines or a
contract's status, and a save of an instance read earlier never puts an old figure back."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from retainops.clients import services, transfer
from retainops.clients.choices import ContractStatus
from retainops.clients.models import Client, ContractLine, ServiceLine
from retainops.clients.testing import ClientFactory
from retainops.core.testing import UserFactory


def lines_total(client: Client) -> Decimal:
    """What the MRR is by definition: the lines of the client's active contracts."""
    lines = ContractLine.objects.filter(contract__client=client, contract__status="active")
    return lines.aggregate(total=Sum("monthly_budget"))["total"] or Decimal("0")


def stored(client: Client) -> Decimal:
    return Client.objects.values_list("mrr", flat=True).get(pk=client.pk)


def assert_mrr(client: Client, expected: str) -> None:
    assert stored(client) == lines_total(client) == Decimal(expected)


@pytest.fixture
def harbor(north):
    return ClientFactory.create(name="Harbor Dental", business_unit=north, external_id="H-1")


def service(code: str) -> ServiceLine:
    return ServiceLine.objects.get(code=code)


def test_each_service_that_changes_lines_or_contract_status_keeps_the_mrr(account_manager, harbor):
    assert_mrr(harbor, "0")
    contract = services.create_contract(
        client=harbor,
        by=account_manager,
        data={"reference": "PO-1", "start_date": date(2026, 1, 1), "term_months": 12},
        lines=[{"service": service("seo"), "monthly_budget": Decimal("1500.00")}],
        activate=False,
    )
    assert_mrr(harbor, "0")  # a draft does not count
    services.change_contract_status(
        contract=contract, by=account_manager, transition_name="activate"
    )
    assert_mrr(harbor, "1500")
    services.set_contract_line(
        contract=contract,
        by=account_manager,
        service=service("sem"),
        monthly_budget=Decimal("250.50"),
    )
    assert_mrr(harbor, "1750.50")  # a line created
    services.set_contract_line(
        contract=contract,
        by=account_manager,
        service=service("seo"),
        monthly_budget=Decimal("1000"),
    )
    assert_mrr(harbor, "1250.50")  # a budget changed
    services.remove_contract_line(line=contract.lines.get(service__code="sem"), by=account_manager)
    assert_mrr(harbor, "1000")  # a line removed
    services.change_contract_status(contract=contract, by=account_manager, transition_name="pause")
    assert_mrr(harbor, "0")
    services.change_contract_status(contract=contract, by=account_manager, transition_name="resume")
    assert_mrr(harbor, "1000")
    services.change_contract_status(contract=contract, by=account_manager, transition_name="cancel")
    assert_mrr(harbor, "0")  # the contract cancelled


def test_a_client_saved_from_an_earlier_read_keeps_the_current_mrr(account_manager, harbor):
    read_before = Client.objects.get(pk=harbor.pk)
    services.create_contract(
        client=harbor,
        by=account_manager,
        data={"reference": "PO-1", "start_date": date(2026, 1, 1), "term_months": 12},
        lines=[{"service": service("seo"), "monthly_budget": Decimal("900")}],
        activate=True,
    )
    services.update_client(client=read_before, by=account_manager, changes={"notes": "Called."})
    services.change_client_status(client=read_before, by=account_manager, transition_name="go_live")
    assert_mrr(harbor, "900")


def test_an_import_of_contracts_keeps_the_mrr(north, harbor):
    importer = UserFactory.create(username="dana_dm", roles=["department_manager"], units=[north])
    header = ["client", "business_unit", "reference", "service", "monthly_budget"]
    header += ["currency", "start_date", "term_months", "renewal_date", "status"]
    rows = [
        header,
        ["H-1", "north", "HD-1", "seo", "1200", "usd", "2026-01-01", "12", "", "active"],
        ["H-1", "", "HD-1", "sem", "300", "", "", "", "", ""],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    report = transfer.run_import(
        kind="contracts",
        content=out.getvalue().encode(),
        filename="c.csv",
        by=importer,
        dry_run=False,
    )
    assert report.written, report.errors
    assert_mrr(harbor, "1500")
    # The same file with a new budget changes the line: the MRR follows.
    rows[2][4] = "800"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    report = transfer.run_import(
        kind="contracts",
        content=out.getvalue().encode(),
        filename="c.csv",
        by=importer,
        dry_run=False,
    )
    assert report.written, report.errors
    assert_mrr(harbor, "2000")


def test_refresh_recomputes_from_the_lines_whatever_the_column_held(account_manager, harbor):
    services.create_contract(
        client=harbor,
        by=account_manager,
        data={"reference": "PO-1", "start_date": date(2026, 1, 1), "term_months": 12},
        lines=[{"service": service("seo"), "monthly_budget": Decimal("700")}],
        activate=True,
    )
    other = ClientFactory.create(business_unit=harbor.business_unit)
    Client.objects.update(mrr=Decimal("99"))
    services.refresh_mrr([harbor.pk, other.pk])
    assert (stored(harbor), stored(other)) == (Decimal("700"), Decimal("0"))
    assert harbor.contracts.get().status == ContractStatus.ACTIVE
