"""Importing and exporting clients and contracts: checking, writing, rights, round trips."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.urls import reverse

from retainops.clients import services, transfer
from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import Client, ClientTeamMember, Contact, Contract, ContractLine
from retainops.clients.queries import with_mrr
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.errors import invalid
from retainops.core.models import ImportJob
from retainops.core.testing import ApiCaller, UserFactory, run_import_jobs

CLIENT_HEADER = [
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
]


def client_row(name: str, external_id: str = "", unit: str = "north", **cells: str) -> list[str]:
    values = {"name": name, "business_unit": unit, "external_id": external_id, **cells}
    return [values.get(column, "") for column in CLIENT_HEADER]


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def import_rows(by, rows, *, kind="clients", dry_run=False) -> transfer.ImportReport:
    return transfer.run_import(
        kind=kind, content=csv_bytes(rows), filename=f"{kind}.csv", by=by, dry_run=dry_run
    )


def mrr_of(clients: QuerySet[Client]) -> Decimal:
    """The monthly recurring revenue of the one client in `clients`."""
    annotated: Any = with_mrr(clients).get()  # `mrr` is an annotation, unknown to mypy
    return annotated.mrr


def cells(report: transfer.ImportReport) -> set[tuple[int | None, str]]:
    return {(problem.row, problem.column) for problem in report.errors}


@pytest.fixture
def importer(north):
    """A department manager of North: may import clients and contracts there."""
    return UserFactory.create(username="dana_dm", roles=["department_manager"], units=[north])


@pytest.fixture
def csm(north):
    return UserFactory.create(
        username="cleo_csm",
        email="cleo@agency.example",
        roles=["client_success_manager"],
        units=[north],
    )


@pytest.fixture
def rep(north):
    return UserFactory.create(username="raj_rep", roles=["sales_rep"], units=[north])


# Checking -------------------------------------------------------------------------------


def test_dry_run_reports_every_bad_row_and_column(importer, account_manager, south):
    rows = [
        CLIENT_HEADER,
        client_row("Harbor Dental", "H-1", account_manager="amy_am"),
        client_row("Bad Everything", status="sleeping", sold_on="03/04/2026"),
        client_row("", unit="nowhere", client_success_manager="nobody"),
        client_row("Ghost Team", account_manager="nobody", contact_name="Ann"),
        client_row("Wrong Role", sales_rep="amy_am", website="http://"),
    ]
    report = import_rows(importer, rows, dry_run=True)

    assert cells(report) == {
        (3, "status"),
        (3, "sold_on"),
        (4, "name"),
        (4, "business_unit"),
        (4, "client_success_manager"),
        (5, "account_manager"),
        (5, "contact_email"),
        (6, "sales_rep"),
        (6, "website"),
    }
    messages = {(p.row, p.column): p.message for p in report.errors}
    assert "YYYY-MM-DD" in messages[(3, "sold_on")]
    assert "'nowhere'" in messages[(4, "business_unit")]
    assert "does not have the role Sales rep" in messages[(6, "sales_rep")]
    assert report.bad_rows == 4 and report.rows == 5
    assert (report.created, report.updated) == (0, 0)
    assert not Client.objects.exists()


def test_dry_run_of_good_rows_says_what_an_import_would_do_and_writes_nothing(importer, north):
    ClientFactory.create(name="Harbor Dental", business_unit=north, external_id="H-1")
    rows = [CLIENT_HEADER, client_row("Harbor Dental 2", "H-1"), client_row("Cedar Auto")]
    report = import_rows(importer, rows, dry_run=True)
    assert report.ok and not report.written
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert list(Client.objects.values_list("name", flat=True)) == ["Harbor Dental"]


def test_import_with_one_bad_row_writes_nothing(importer):
    rows = [
        CLIENT_HEADER,
        client_row("Harbor Dental", "H-1", contact_name="Ann", contact_email="ann@harbor.example"),
        client_row("Cedar Auto", "C-1", sold_on="yesterday"),
        client_row("Maple Bakery", "M-1"),
    ]
    report = import_rows(importer, rows)
    assert not report.ok and not report.written
    assert cells(report) == {(3, "sold_on")}
    assert (report.created, report.updated) == (0, 0)
    assert not Client.objects.exists()
    assert not Contact.objects.exists()
    assert not Client.history.exists()


def test_a_refusal_while_writing_rolls_back_every_row(importer, monkeypatch):
    """A service can still refuse at write time (e.g. a status moved by someone else
    meanwhile): the rows already written are undone and the refusal is reported."""
    real_change = services.change_client_status

    def refuse_cedar(*, client, by, transition_name):
        if client.name == "Cedar Auto":
            raise invalid("transition", "Someone else changed this status a moment ago.")
        return real_change(client=client, by=by, transition_name=transition_name)

    monkeypatch.setattr(services, "change_client_status", refuse_cedar)
    rows = [
        CLIENT_HEADER,
        client_row(
            "Harbor Dental", status="active", contact_name="Ann", contact_email="a@h.example"
        ),
        client_row("Cedar Auto", status="active"),
        client_row("Maple Bakery", status="active"),
    ]
    report = import_rows(importer, rows)

    assert [(p.row, p.column, p.message) for p in report.errors] == [
        (3, "status", "Someone else changed this status a moment ago.")
    ]
    assert not report.written and report.created == 0
    assert not Client.objects.exists() and not Contact.objects.exists()
    assert not Client.history.exists()


def test_rows_naming_the_same_client_twice_are_reported(importer):
    rows = [
        CLIENT_HEADER,
        client_row("Harbor Dental", "H-1"),
        client_row("Harbor Dental Inc", "H-1"),
        client_row("Cedar Auto"),
        client_row("cedar auto"),
    ]
    report = import_rows(importer, rows, dry_run=True)
    assert cells(report) == {(3, "name"), (5, "name")}
    assert "row 2" in report.errors[0].message


# Writing clients ------------------------------------------------------------------------


def test_good_csv_import_creates_clients_team_and_contacts(importer, account_manager, csm, rep):
    rows = [
        CLIENT_HEADER,
        client_row(
            "Harbor Dental",
            "H-1",
            status="active",
            website="https://harbor.example",
            industry="Dental",
            notes="Came from the spring fair",
            sold_on="2026-02-03",
            account_manager="amy_am",
            client_success_manager="cleo@agency.example",
            sales_rep="RAJ_REP",
            contact_name="Ann Lee",
            contact_email="ann@harbor.example",
            contact_phone="555-0100",
        ),
        client_row("Cedar Auto", "C-1"),
    ]
    report = import_rows(importer, rows)

    assert report.written
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    harbor = Client.objects.get(external_id="H-1")
    assert harbor.name == "Harbor Dental"
    assert harbor.business_unit.code == "north"
    assert harbor.status == ClientStatus.ACTIVE
    assert harbor.sold_on == date(2026, 2, 3)
    assert harbor.industry == "Dental"
    team = {m.role.code: m.user for m in ClientTeamMember.objects.filter(client=harbor)}
    assert team == {
        "account_manager": account_manager,
        "client_success_manager": csm,
        "sales_rep": rep,
    }
    contact = harbor.contacts.get()
    assert (contact.name, contact.email, contact.phone, contact.is_primary) == (
        "Ann Lee",
        "ann@harbor.example",
        "555-0100",
        True,
    )
    assert Client.objects.get(external_id="C-1").status == ClientStatus.ONBOARDING


def test_history_rows_carry_the_importing_user(importer):
    import_rows(importer, [CLIENT_HEADER, client_row("Harbor Dental", "H-1", status="active")])
    harbor = Client.objects.get()
    latest = harbor.history.first()
    assert latest.history_user == importer
    assert latest.history_change_reason == "status: go_live"
    assert {record.history_user for record in harbor.history.all()} == {importer}


@pytest.mark.parametrize(
    ("cell", "status", "steps"),
    [
        ("cancelled", ClientStatus.CANCELLED, ["give_notice", "cancel"]),
        ("paused", ClientStatus.PAUSED, ["go_live", "pause"]),
        ("Cancelling (notice given)", ClientStatus.CANCELLING, ["give_notice"]),
        ("onboarding", ClientStatus.ONBOARDING, []),
    ],
)
def test_new_clients_status_is_reached_by_walking_the_life_cycle(importer, cell, status, steps):
    import_rows(importer, [CLIENT_HEADER, client_row("Harbor Dental", status=cell)])
    harbor = Client.objects.get()
    assert harbor.status == status
    reasons = [r.history_change_reason for r in harbor.history.order_by("history_id")]
    assert reasons == ["created", *(f"status: {step}" for step in steps)]


def test_xlsx_import_works(importer, account_manager):
    rows: list[list[object]] = [
        ["Name", "Business Unit", "External ID", "Sold On", "Account Manager", "Status"],
        ["Harbor Dental", "North Media", 1001, datetime(2026, 2, 3), "amy_am", "Active"],
        [],
        ["Cedar Auto", "north", "C-2", "2026-03-01", "", ""],
    ]
    report = transfer.run_import(
        kind="clients",
        content=xlsx_bytes(rows),
        filename="Clients.XLSX",
        by=importer,
        dry_run=False,
    )
    assert report.written, report.errors
    assert report.created == 2
    harbor = Client.objects.get(external_id="1001")
    assert harbor.sold_on == date(2026, 2, 3)
    assert harbor.status == ClientStatus.ACTIVE
    assert harbor.team.get().user == account_manager
    assert Client.objects.get(name="Cedar Auto").sold_on == date(2026, 3, 1)


def test_xlsx_row_numbers_count_blank_rows(importer):
    rows: list[list[object]] = [["name", "sold_on"], ["Harbor Dental", "soon"], [], ["", ""]]
    rows.append(["Cedar Auto", "later"])
    report = transfer.run_import(
        kind="clients", content=xlsx_bytes(rows), filename="c.xlsx", by=importer, dry_run=True
    )
    assert cells(report) == {(2, "sold_on"), (5, "sold_on")}


def test_reimport_updates_rather_than_duplicates(importer, account_manager, csm):
    first = [
        CLIENT_HEADER,
        client_row(
            "Harbor Dental",
            "H-1",
            account_manager="amy_am",
            contact_name="Ann",
            contact_email="ann@harbor.example",
        ),
    ]
    import_rows(importer, first)
    second = [
        CLIENT_HEADER,
        client_row(
            "Harbor Dental Group",
            "H-1",
            industry="Dental",
            client_success_manager="cleo_csm",
            contact_name="Ann Lee",
            contact_email="ANN@harbor.example",
        ),
    ]
    report = import_rows(importer, second)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    harbor = Client.objects.get()
    assert (harbor.name, harbor.industry) == ("Harbor Dental Group", "Dental")
    roles = dict(harbor.team.values_list("role__code", "user__username"))
    assert roles == {"account_manager": "amy_am", "client_success_manager": "cleo_csm"}
    assert list(harbor.contacts.values_list("name", "email")) == [("Ann Lee", "ann@harbor.example")]

    again = import_rows(importer, second)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Client.objects.count() == 1


def test_rows_without_external_id_match_by_name_ignoring_case(importer, north):
    existing = ClientFactory.create(name="Harbor Dental", business_unit=north, industry="")
    report = import_rows(importer, [CLIENT_HEADER, client_row("HARBOR dental", industry="Dental")])
    assert (report.created, report.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.industry == "Dental"
    assert Client.objects.count() == 1


def test_crm_export_headings_are_understood(importer, account_manager, csm, rep):
    rows = [
        [
            "Record ID",
            "Account Name",
            "Brand",
            "Account Manager",
            "CSM",
            "Owner",
            "Contact",
            "Email",
            "Phone Number",
            "Website URL",
            "Close Date",
            "Lead Source",
        ],
        [
            "998877",
            "Harbor Dental",
            "North Media",
            "amy_am",
            "cleo_csm",
            "raj_rep",
            "Ann Lee",
            "ann@harbor.example",
            "555-0100",
            "harbor.example",
            "2026-01-15",
            "Fair",
        ],
    ]
    report = import_rows(importer, rows)

    assert report.written, report.errors
    assert report.ignored_columns == ["Lead Source"]
    harbor = Client.objects.get(external_id="998877")
    assert harbor.name == "Harbor Dental"
    assert harbor.website == "https://harbor.example"
    assert harbor.sold_on == date(2026, 1, 15)
    assert set(harbor.team.values_list("user__username", flat=True)) == {
        "amy_am",
        "cleo_csm",
        "raj_rep",
    }
    assert harbor.contacts.get().phone == "555-0100"


def test_business_unit_may_be_left_out_by_someone_in_one_unit(importer, administrator):
    rows = [["Company"], ["Harbor Dental"]]
    assert import_rows(importer, rows).created == 1
    assert Client.objects.get().business_unit.code == "north"

    refused = import_rows(administrator, rows, dry_run=True)
    assert cells(refused) == {(None, "business_unit")}
    assert "no business_unit column" in refused.errors[0].message


# Rights ---------------------------------------------------------------------------------


def test_importing_into_another_units_business_unit_is_a_row_error(importer, south):
    rows = [CLIENT_HEADER, client_row("Harbor Dental"), client_row("Cedar Auto", unit="south")]
    report = import_rows(importer, rows)
    assert cells(report) == {(3, "business_unit")}
    assert report.errors[0].message == "You do not work in South Digital."
    assert not Client.objects.exists()


def test_administrator_may_import_into_any_unit(administrator, north, south):
    rows = [
        CLIENT_HEADER,
        client_row("Harbor Dental"),
        client_row("Cedar Auto", unit="South Digital"),
    ]
    assert import_rows(administrator, rows).created == 2
    assert Client.objects.get(name="Cedar Auto").business_unit == south


def test_user_without_data_import_is_refused(client, account_manager):
    rows = [CLIENT_HEADER, client_row("Harbor Dental")]
    with pytest.raises(PermissionDenied):
        import_rows(account_manager, rows)

    client.force_login(account_manager)
    assert client.get(reverse("clients:import")).status_code == 403
    upload = SimpleUploadedFile("c.csv", csv_bytes(rows))
    page = client.post(
        reverse("clients:import"), {"kind": "clients", "file": upload, "action": "import"}
    )
    assert page.status_code == 403

    api = ApiCaller(account_manager)
    response = api.http.post(
        "/api/v1/imports/clients?dry_run=false",
        {"file": SimpleUploadedFile("c.csv", csv_bytes(rows))},
        headers=api.headers,
    )
    assert response.status_code == 403
    assert not Client.objects.exists()


def test_operations_lead_imports_clients_but_not_contracts(north):
    lead = UserFactory.create(username="olly_ops", roles=["operations_lead"], units=[north])
    assert import_rows(lead, [CLIENT_HEADER, client_row("Harbor Dental")]).created == 1
    with pytest.raises(PermissionDenied, match="contracts"):
        import_rows(lead, [["client", "reference"], ["Harbor Dental", "C-1"]], kind="contracts")


# Files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"name\nHarbor", "clients.xls", "Upload a .csv or .xlsx file"),
        (b"name\nHarbor", "clients.pdf", "Upload a .csv or .xlsx file"),
        (b"", "clients.csv", "The file is empty."),
        (b"\n\n", "clients.csv", "The file is empty."),
        (b"name,business_unit\n", "clients.csv", "column names but no rows"),
        (b"not a workbook", "clients.xlsx", "could not be read as an Excel"),
        (b"PK\x03\x04rest", "clients.csv", "give it the .xlsx extension"),
        (b"company_size\n12\n", "clients.csv", "no name column"),
    ],
)
def test_unreadable_files_get_a_clear_error(importer, content, filename, expected):
    report = transfer.run_import(
        kind="clients", content=content, filename=filename, by=importer, dry_run=True
    )
    assert [p.row for p in report.errors] == [None]
    assert expected in report.errors[0].message


def test_semicolon_csv_with_bom_from_excel_is_read(importer):
    content = "\ufeffname;industry\nCafé Lumière;Food\n".encode()
    report = transfer.run_import(
        kind="clients", content=content, filename="c.csv", by=importer, dry_run=False
    )
    assert report.written, report.errors
    assert Client.objects.get().name == "Café Lumière"


def test_csv_row_numbers_count_blank_lines(importer):
    """As in a spreadsheet that opens the file: an empty line is a row, and a quoted
    cell spread over several lines is one."""
    content = b'name,sold_on,notes\nHarbor Dental,soon,\n\nCedar Auto,2026-01-01,"two\n\nlines"\n'
    content += b"Maple Bakery,later,\n"
    report = transfer.run_import(
        kind="clients", content=content, filename="c.csv", by=importer, dry_run=True
    )
    assert cells(report) == {(2, "sold_on"), (5, "sold_on")}


def test_csv_cells_beyond_the_named_columns_are_ignored(importer):
    content = b"name,industry\nHarbor Dental,Dental,extra,cells\nCedar Auto\n"
    report = transfer.run_import(
        kind="clients", content=content, filename="c.csv", by=importer, dry_run=False
    )
    assert report.written, report.errors
    assert dict(Client.objects.values_list("name", "industry")) == {
        "Harbor Dental": "Dental",
        "Cedar Auto": "",
    }


# Contracts ------------------------------------------------------------------------------

CONTRACT_HEADER = [
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
]


@pytest.fixture
def harbor(north):
    return ClientFactory.create(name="Harbor Dental", business_unit=north, external_id="H-1")


def test_contracts_import_groups_lines_by_reference_and_mrr_follows(importer, harbor):
    rows = [
        CONTRACT_HEADER,
        ["H-1", "north", "HD-2026", "seo", "1,500.00", "usd", "2026-01-01", "12", "", "active"],
        ["H-1", "", "HD-2026", "Targeted display", "$750", "", "", "", "", ""],
        [
            "Harbor Dental",
            "",
            "HD-DRAFT",
            "sem",
            "400",
            "",
            "2026-06-01",
            "6",
            "2026-12-01",
            "draft",
        ],
    ]
    report = import_rows(importer, rows, kind="contracts")

    assert report.written, report.errors
    assert (report.created, report.rows) == (2, 3)
    active = Contract.objects.get(reference="HD-2026")
    assert active.status == ContractStatus.ACTIVE
    assert (active.currency, active.term_months, active.start_date) == ("USD", 12, date(2026, 1, 1))
    budgets = dict(active.lines.values_list("service__code", "monthly_budget"))
    assert budgets == {"seo": Decimal("1500.00"), "targeted-display": Decimal("750.00")}
    draft = Contract.objects.get(reference="HD-DRAFT")
    assert draft.status == ContractStatus.DRAFT
    assert draft.renewal_date == date(2026, 12, 1)
    assert mrr_of(Client.objects.filter(pk=harbor.pk)) == Decimal("2250.00")
    assert active.history.first().history_user == importer


def test_contracts_reimport_changes_budgets_adds_lines_and_activates_drafts(importer, harbor):
    make_contract(harbor, {"seo": "1000"}, reference="HD-1", active=False)
    rows = [
        CONTRACT_HEADER,
        ["H-1", "", "HD-1", "seo", "1200", "", "", "", "", "active"],
        ["H-1", "", "HD-1", "email", "300", "", "", "", "", ""],
    ]
    report = import_rows(importer, rows, kind="contracts")

    assert report.written, report.errors
    assert (report.created, report.updated) == (0, 1)
    contract = Contract.objects.get()
    assert contract.status == ContractStatus.ACTIVE
    assert dict(contract.lines.values_list("service__code", "monthly_budget")) == {
        "seo": Decimal("1200.00"),
        "email": Decimal("300.00"),
    }
    assert mrr_of(Client.objects.all()) == Decimal("1500.00")


def test_contracts_dry_run_reports_bad_rows_and_columns(importer, harbor, south):
    ClientFactory.create(name="Cedar Auto", business_unit=south, external_id="C-1")
    rows = [
        CONTRACT_HEADER,
        ["H-1", "", "HD-1", "seo", "100", "USD", "2026-01-01", "12", "", ""],
        ["H-1", "", "HD-1", "seo", "200", "EUR", "", "", "", ""],
        ["H-1", "", "HD-2", "knitting", "-5", "dollars", "2026-01-01", "twelve", "", "ended"],
        ["Nobody", "", "X-1", "", "", "", "", "", "", ""],
        ["C-1", "", "C-9", "seo", "10", "", "2026-01-01", "1", "", ""],
        ["H-1", "south", "HD-3", "", "", "", "", "", "", ""],
        ["H-1", "", "HD-4", "sem", "", "", "", "", "", ""],
    ]
    report = import_rows(importer, rows, kind="contracts", dry_run=True)
    assert cells(report) == {
        (3, "service"),  # seo twice in HD-1
        (3, "currency"),  # contradicts row 2
        (4, "service"),
        (4, "monthly_budget"),
        (4, "term_months"),
        (4, "status"),
        (4, "currency"),
        (5, "client"),
        (6, "client"),  # another unit's client is not visible
        (7, "business_unit"),
        (8, "monthly_budget"),
        (8, "start_date"),
        (8, "term_months"),
    }
    assert not Contract.objects.exists()


def test_a_line_refused_while_writing_is_reported_on_its_own_row(importer, harbor, monkeypatch):
    real_create = services.create_contract

    def refuse_hd2_second_line(**kwargs):
        if kwargs["data"]["reference"] == "HD-2":
            raise invalid("lines[1].monthly_budget", "Give a budget of zero or more.")
        return real_create(**kwargs)

    monkeypatch.setattr(services, "create_contract", refuse_hd2_second_line)
    rows = [
        CONTRACT_HEADER,
        ["H-1", "", "HD-1", "seo", "100", "", "2026-01-01", "12", "", ""],
        ["H-1", "", "HD-2", "seo", "100", "", "2026-01-01", "12", "", ""],
        ["H-1", "", "HD-2", "sem", "100", "", "", "", "", ""],
    ]
    report = import_rows(importer, rows, kind="contracts")
    assert [(p.row, p.column) for p in report.errors] == [(4, "monthly_budget")]
    assert not Contract.objects.exists()  # HD-1, written first, is rolled back too


def test_contracts_import_with_a_bad_row_writes_nothing(importer, harbor):
    rows = [
        CONTRACT_HEADER,
        ["H-1", "", "HD-1", "seo", "100", "", "2026-01-01", "12", "", ""],
        ["H-1", "", "HD-2", "seo", "100", "", "2026-13-01", "12", "", ""],
    ]
    report = import_rows(importer, rows, kind="contracts")
    assert cells(report) == {(3, "start_date")}
    assert not Contract.objects.exists() and not ContractLine.objects.exists()


# Export ---------------------------------------------------------------------------------


def _populate(north, account_manager) -> Client:
    harbor = ClientFactory.create(
        name="Harbor Dental",
        business_unit=north,
        external_id="H-1",
        website="https://h.example",
        industry="Dental",
        notes="Two sites\nand a van",
        sold_on=date(2026, 2, 3),
    )
    harbor.team.create(role_id=account_manager.roles.get().pk, user=account_manager)
    harbor.contacts.create(name="Ann", email="ann@harbor.example", phone="+1 555", is_primary=True)
    ClientFactory.create(name='=HYPERLINK("x")', business_unit=north)
    make_contract(harbor, {"seo": "1500.50", "sem": "200"}, reference="HD-1")
    make_contract(harbor, {}, reference="HD-EMPTY", active=False)
    return harbor


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_reimport_round_trip(importer, north, account_manager, fmt):
    _populate(north, account_manager)
    for kind in ("clients", "contracts"):
        exported = transfer.export_data(kind=kind, user=importer, fmt=fmt)
        assert exported.filename.endswith(f".{fmt}")
        report = transfer.run_import(
            kind=kind,
            content=exported.content,
            filename=exported.filename,
            by=importer,
            dry_run=False,
        )
        assert report.written, report.errors
        assert (report.created, report.updated) == (0, 0)
        assert report.unchanged == 2
    assert Client.objects.count() == 2
    assert Client.objects.filter(name='=HYPERLINK("x")').exists()


def test_exported_rows_import_into_an_empty_database_as_they_were(importer, north, account_manager):
    harbor = _populate(north, account_manager)
    clients_file = transfer.export_clients(user=importer, fmt="csv")
    contracts_file = transfer.export_contracts(user=importer, fmt="xlsx")
    Contract.objects.all().delete()
    Client.objects.all().delete()

    for kind, exported in (("clients", clients_file), ("contracts", contracts_file)):
        report = transfer.run_import(
            kind=kind,
            content=exported.content,
            filename=exported.filename,
            by=importer,
            dry_run=False,
        )
        assert report.written, report.errors
    restored = Client.objects.get(external_id="H-1")
    assert (restored.name, restored.notes, restored.sold_on, restored.website) == (
        harbor.name,
        harbor.notes,
        harbor.sold_on,
        harbor.website,
    )
    assert restored.team.get().user == account_manager
    assert restored.contacts.get().phone == "+1 555"
    assert mrr_of(Client.objects.filter(pk=restored.pk)) == Decimal("1700.50")
    assert Contract.objects.get(reference="HD-EMPTY").status == ContractStatus.DRAFT


def test_export_shows_only_the_callers_units(client, account_manager, north, south):
    ClientFactory.create(name="Harbor Dental", business_unit=north)
    cedar = ClientFactory.create(name="Cedar Auto", business_unit=south)
    make_contract(cedar, {"seo": "100"}, reference="CEDAR-1")
    client.force_login(account_manager)

    page = client.get(reverse("clients:export", args=["clients", "csv"]))
    assert page.status_code == 200
    assert page["Content-Type"] == "text/csv; charset=utf-8"
    assert page["Content-Disposition"].startswith('attachment; filename="retainops-clients-')
    text = page.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(CLIENT_HEADER)
    assert "Harbor Dental" in text and "Cedar Auto" not in text

    contracts = client.get(reverse("clients:export", args=["contracts", "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(contracts.content)).active
    assert [c.value for c in sheet[1]][:3] == ["client", "business_unit", "reference"]
    assert sheet.max_row == 1  # only the header: the contract is South's

    api = ApiCaller(account_manager).get("/exports/clients.csv")
    assert api.status_code == 200
    assert b"Cedar Auto" not in api.content and b"Harbor Dental" in api.content


def test_xlsx_export_keeps_formula_like_text_as_text(importer, north):
    ClientFactory.create(name='=HYPERLINK("http://evil.example","x")', business_unit=north)
    exported = transfer.export_clients(user=importer, fmt="xlsx")
    cell = openpyxl.load_workbook(io.BytesIO(exported.content)).active["A2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","x")'


def test_unknown_export_is_not_found(client, account_manager):
    client.force_login(account_manager)
    assert client.get(reverse("clients:export", args=["invoices", "csv"])).status_code == 404
    assert client.get(reverse("clients:export", args=["clients", "pdf"])).status_code == 404
    assert ApiCaller(account_manager).get("/exports/clients.pdf").status_code == 404


# API ------------------------------------------------------------------------------------


def _post_file(caller: ApiCaller, path: str, content: bytes, filename: str = "clients.csv"):
    upload = SimpleUploadedFile(filename, content)
    return caller.http.post(f"/api/v1{path}", {"file": upload}, headers=caller.headers)


def test_api_import_dry_run_then_import(importer):
    caller = ApiCaller(importer)
    content = csv_bytes([CLIENT_HEADER, client_row("Harbor Dental", "H-1")])

    checked = _post_file(caller, "/imports/clients", content)
    assert checked.status_code == 200
    assert checked.json() == {
        "ok": True,
        "dry_run": True,
        "kind": "clients",
        "rows": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "ignored_columns": [],
        "errors": [],
    }
    assert not Client.objects.exists()

    queued = _post_file(caller, "/imports/clients?dry_run=false", content)
    assert queued.status_code == 202
    assert queued.json()["state"] == "queued"
    assert not Client.objects.exists()  # the worker writes it

    assert run_import_jobs() == 1
    job = caller.get(f"/import-jobs/{queued.json()['id']}")
    assert job.status_code == 200
    assert job.json()["state"] == "succeeded" and job.json()["percent"] == 100
    assert (job.json()["rows"], job.json()["created"], job.json()["errors"]) == (1, 1, [])
    assert Client.objects.get().history.first().history_user == importer


def test_api_import_of_bad_rows_fails_its_job_listing_them(importer):
    content = csv_bytes([CLIENT_HEADER, client_row("Harbor Dental"), client_row("", status="x")])
    caller = ApiCaller(importer)
    response = _post_file(caller, "/imports/clients?dry_run=false", content)
    assert response.status_code == 202
    run_import_jobs()
    body = caller.get(f"/import-jobs/{response.json()['id']}").json()
    assert body["state"] == "failed" and body["created"] == 0
    assert {(e["row"], e["column"]) for e in body["errors"]} == {(3, "name"), (3, "status")}
    assert not Client.objects.exists()


def test_api_import_of_an_unreadable_file_answers_422_and_queues_nothing(importer):
    content = b'name,business_unit\n"Harbor Dental,north\n'
    response = _post_file(ApiCaller(importer), "/imports/clients?dry_run=false", content)
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False and body["dry_run"] is False
    assert "never closed" in body["errors"][0]["message"]
    assert not ImportJob.objects.exists()


def test_api_import_of_an_unknown_kind_or_file_type(importer):
    caller = ApiCaller(importer)
    assert _post_file(caller, "/imports/invoices", b"a\n1").status_code == 404
    response = _post_file(caller, "/imports/clients", b"a\n1", filename="clients.txt")
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] is None


# Pages ----------------------------------------------------------------------------------


def test_import_page_explains_columns_and_links_exports(client, importer):
    client.force_login(importer)
    page = client.get(reverse("clients:import"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Account Name" in text and "monthly_budget" in text
    assert reverse("clients:export", args=["contracts", "xlsx"]) in text


def test_import_page_check_shows_every_problem_and_writes_nothing(client, importer):
    client.force_login(importer)
    content = csv_bytes(
        [CLIENT_HEADER, client_row("Harbor Dental", sold_on="soon"), client_row("")]
    )
    page = client.post(
        reverse("clients:import"),
        {"kind": "clients", "file": SimpleUploadedFile("c.csv", content), "action": "check"},
    )
    assert page.status_code == 200
    report = page.context["report"]
    assert cells(report) == {(2, "sold_on"), (3, "name")}
    assert "2 of 2 rows need fixing" in page.content.decode()
    assert not Client.objects.exists()


def test_import_page_check_then_import_the_checked_file(client, importer):
    client.force_login(importer)
    content = csv_bytes([CLIENT_HEADER, client_row("Harbor Dental"), client_row("Cedar Auto")])
    checked = client.post(
        reverse("clients:import"),
        {"kind": "clients", "file": SimpleUploadedFile("c.csv", content), "action": "check"},
    )
    assert "All 2 rows are good" in checked.content.decode()
    assert not Client.objects.exists()

    queued = client.post(reverse("clients:import"), {"action": "import_checked"})
    job = ImportJob.objects.get()
    assert queued.status_code == 302 and queued["Location"] == reverse("import_job", args=[job.pk])
    assert not Client.objects.exists()

    run_import_jobs()
    page = client.get(queued["Location"])
    text = page.content.decode()
    assert "Imported 2 rows" in text and "<strong>2</strong> created" in text
    assert reverse("clients:list") in text
    assert Client.objects.count() == 2


def test_import_page_import_button_writes_only_when_all_rows_are_good(client, importer):
    client.force_login(importer)
    bad = csv_bytes([CLIENT_HEADER, client_row("Harbor Dental"), client_row("", unit="north")])
    refused = client.post(
        reverse("clients:import"),
        {"kind": "clients", "file": SimpleUploadedFile("c.csv", bad), "action": "import"},
    )
    assert refused.status_code == 302
    run_import_jobs()
    page = client.get(refused["Location"])
    text = page.content.decode()
    assert "1 of 2 rows need fixing" in text and "Nothing was written" in text
    assert page.context["job"].state == "failed"
    assert not Client.objects.exists()

    good = csv_bytes([CLIENT_HEADER, client_row("Harbor Dental")])
    done = client.post(
        reverse("clients:import"),
        {"kind": "clients", "file": SimpleUploadedFile("c.csv", good), "action": "import"},
    )
    assert done.status_code == 302 and done["Location"].startswith("/imports/")
    run_import_jobs()
    assert client.get(done["Location"]).context["job"].state == "succeeded"
    assert Client.objects.get().name == "Harbor Dental"
