"""Who may touch a client's record: the other unit's people, people with no unit and
read-only roles are refused on every page action and API endpoint, and nothing changes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from retainops.clients.models import (
    Client,
    ClientTeamMember,
    ClientTool,
    Contact,
    Contract,
    ContractLine,
    ServiceLine,
    Tool,
)
from retainops.clients.testing import ClientFactory, ContactFactory, make_contract
from retainops.core.models import Role
from retainops.core.testing import ApiCaller

RECORD_MODELS = (Client, Contact, ClientTool, ClientTeamMember, Contract, ContractLine)


@dataclass
class Record:
    """A North client with one of everything a client owns."""

    client: Client
    contact: Contact
    tool_entry: ClientTool
    contract: Contract
    line: ContractLine


@pytest.fixture
def harbor_record(north, account_manager) -> Record:
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=account_manager
    )
    contact = ContactFactory.create(client=client, name="Dana Reyes")
    entry = ClientTool.objects.create(client=client, tool=Tool.objects.get(code="crm"))
    contract = make_contract(client, {"seo": "1500.00"}, reference="HD-1")
    return Record(client, contact, entry, contract, contract.lines.get())


def everything() -> list[Any]:
    """Every row of the client record and every history row: a write changes one of them."""
    rows: list[Any] = [list(m.objects.order_by("pk").values()) for m in RECORD_MODELS]
    return rows + [m.history.count() for m in RECORD_MODELS]


# The API --------------------------------------------------------------------------------

ApiCall = Callable[[ApiCaller, Record], Any]

API_CALLS: dict[str, ApiCall] = {
    "read the client": lambda api, r: api.get(f"/clients/{r.client.pk}"),
    "edit the client": lambda api, r: api.patch(f"/clients/{r.client.pk}", {"name": "Renamed"}),
    "delete the client": lambda api, r: api.delete(f"/clients/{r.client.pk}"),
    "change its status": lambda api, r: api.post(
        f"/clients/{r.client.pk}/transitions", {"transition": "go_live"}
    ),
    "read its history": lambda api, r: api.get(f"/clients/{r.client.pk}/history"),
    "put someone on its team": lambda api, r: api.put(
        f"/clients/{r.client.pk}/team/account_manager", {"username": "amy_am"}
    ),
    "take someone off its team": lambda api, r: api.put(
        f"/clients/{r.client.pk}/team/account_manager", {"username": None}
    ),
    "list its contacts": lambda api, r: api.get(f"/clients/{r.client.pk}/contacts"),
    "add a contact": lambda api, r: api.post(
        f"/clients/{r.client.pk}/contacts", {"name": "Eve", "email": "eve@harbor.example"}
    ),
    "edit a contact": lambda api, r: api.patch(f"/contacts/{r.contact.pk}", {"title": "Boss"}),
    "remove a contact": lambda api, r: api.delete(f"/contacts/{r.contact.pk}"),
    "list its tools": lambda api, r: api.get(f"/clients/{r.client.pk}/tools"),
    "add a tool": lambda api, r: api.post(f"/clients/{r.client.pk}/tools", {"tool": "analytics"}),
    "remove a tool": lambda api, r: api.delete(f"/client-tools/{r.tool_entry.pk}"),
    "create a contract": lambda api, r: api.post(
        "/contracts",
        {
            "client": r.client.pk,
            "reference": "HD-2",
            "start_date": "2026-04-01",
            "term_months": 12,
            "lines": [{"service": "sem", "monthly_budget": "100.00"}],
        },
    ),
    "read a contract": lambda api, r: api.get(f"/contracts/{r.contract.pk}"),
    "edit a contract": lambda api, r: api.patch(f"/contracts/{r.contract.pk}", {"notes": "x"}),
    "change a contract's status": lambda api, r: api.post(
        f"/contracts/{r.contract.pk}/transitions", {"transition": "pause"}
    ),
    "add a contract line": lambda api, r: api.put(
        f"/contracts/{r.contract.pk}/lines/sem", {"monthly_budget": "100.00"}
    ),
    "change a line's budget": lambda api, r: api.put(
        f"/contracts/{r.contract.pk}/lines/seo", {"monthly_budget": "1.00"}
    ),
    "remove a contract line": lambda api, r: api.delete(f"/contracts/{r.contract.pk}/lines/seo"),
}

READS = {
    "read the client",
    "read its history",
    "list its contacts",
    "list its tools",
    "read a contract",
}


@pytest.mark.parametrize("action", list(API_CALLS))
def test_api_answers_not_found_to_the_other_units_account_manager(
    action, south_account_manager, harbor_record
):
    before = everything()
    response = API_CALLS[action](ApiCaller(south_account_manager), harbor_record)
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}
    assert everything() == before


def test_api_lists_leave_out_the_other_units_clients_and_contracts(
    south_account_manager, harbor_record
):
    api = ApiCaller(south_account_manager)
    assert api.get("/clients").json()["count"] == 0
    assert api.get("/contracts").json()["count"] == 0
    assert api.get("/contracts", client=harbor_record.client.pk).json()["count"] == 0


@pytest.mark.parametrize("action", sorted(set(API_CALLS) - READS - {"delete the client"}))
def test_api_refuses_edits_to_a_read_only_role(action, service_agent, harbor_record):
    before = everything()
    response = API_CALLS[action](ApiCaller(service_agent), harbor_record)
    assert response.status_code == 403, response.content
    assert everything() == before


@pytest.mark.parametrize("action", sorted(READS))
def test_api_lets_a_read_only_role_read(action, service_agent, harbor_record):
    assert API_CALLS[action](ApiCaller(service_agent), harbor_record).status_code == 200


# The pages ------------------------------------------------------------------------------

PagePost = Callable[[Record], tuple[str, dict[str, Any]]]

PAGE_POSTS: dict[str, PagePost] = {
    "edit the client": lambda r: (
        reverse("clients:edit", args=[r.client.pk]),
        {"name": "Renamed", "business_unit": r.client.business_unit_id},
    ),
    "change its status": lambda r: (
        reverse("clients:transition", args=[r.client.pk]),
        {"transition": "go_live"},
    ),
    "assign its team": lambda r: (
        reverse("clients:team", args=[r.client.pk]),
        {"role": Role.objects.get(code="account_manager").pk, "user": ""},
    ),
    "add a contact": lambda r: (
        reverse("clients:contact_add", args=[r.client.pk]),
        {"name": "Eve", "email": "eve@harbor.example"},
    ),
    "edit a contact": lambda r: (
        reverse("clients:contact_edit", args=[r.contact.pk]),
        {"name": "Renamed", "email": r.contact.email},
    ),
    "remove a contact": lambda r: (reverse("clients:contact_remove", args=[r.contact.pk]), {}),
    "add a tool": lambda r: (
        reverse("clients:tool_add", args=[r.client.pk]),
        {"tool": Tool.objects.get(code="analytics").pk, "reference": "x"},
    ),
    "remove a tool": lambda r: (reverse("clients:tool_remove", args=[r.tool_entry.pk]), {}),
    "create a contract": lambda r: (
        reverse("clients:contract_create", args=[r.client.pk]),
        {
            "reference": "HD-2",
            "currency": "USD",
            "start_date": "2026-04-01",
            "term_months": 12,
            "activate": "on",
            "budget_sem": "100",
        },
    ),
    "edit a contract": lambda r: (
        reverse("clients:contract_edit", args=[r.contract.pk]),
        {
            "reference": "HD-1",
            "currency": "EUR",
            "start_date": "2026-01-01",
            "term_months": 24,
        },
    ),
    "set a contract line": lambda r: (
        reverse("clients:line_set", args=[r.contract.pk]),
        {"service": ServiceLine.objects.get(code="seo").pk, "monthly_budget": "1"},
    ),
    "remove a contract line": lambda r: (
        reverse("clients:line_remove", args=[r.contract.pk, r.line.pk]),
        {},
    ),
    "change a contract's status": lambda r: (
        reverse("clients:contract_status", args=[r.contract.pk]),
        {"transition": "pause"},
    ),
}


@pytest.mark.parametrize("action", list(PAGE_POSTS))
def test_pages_answer_not_found_to_the_other_units_account_manager(
    action, client, south_account_manager, harbor_record
):
    url, data = PAGE_POSTS[action](harbor_record)
    client.force_login(south_account_manager)
    before = everything()
    assert client.post(url, data).status_code == 404
    assert everything() == before


@pytest.mark.parametrize("action", list(PAGE_POSTS))
def test_pages_refuse_edits_to_a_read_only_role(action, client, service_agent, harbor_record):
    url, data = PAGE_POSTS[action](harbor_record)
    client.force_login(service_agent)
    before = everything()
    assert client.post(url, data).status_code == 403
    assert everything() == before


def test_the_account_manager_of_the_unit_may_do_each_page_action(
    client, account_manager, harbor_record
):
    """The refusals above are about the person, not the request: the same posts work for
    the client's own account manager (each changes the record)."""
    client.force_login(account_manager)
    for action, post in PAGE_POSTS.items():
        url, data = post(harbor_record)
        before = everything()
        response = client.post(url, data)
        assert response.status_code == 302, (action, response.content.decode()[:500])
        assert everything() != before, action


def test_a_person_with_no_unit_cannot_open_a_client_page(client, outsider, harbor_record):
    client.force_login(outsider)
    assert client.get(reverse("clients:detail", args=[harbor_record.client.pk])).status_code == 404
    assert client.get(reverse("clients:edit", args=[harbor_record.client.pk])).status_code == 404


def test_an_administrator_sees_every_unit_on_the_client_list(client, administrator, north, south):
    ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientFactory.create(name="Cedar Auto", business_unit=south)
    client.force_login(administrator)
    page = client.get(reverse("clients:list")).content.decode()
    assert "Harbor Dental" in page
    assert "Cedar Auto" in page
