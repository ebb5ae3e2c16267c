"""The client API: auth, scoping to business units, validation, CRUD."""

from datetime import date
from decimal import Decimal

import pytest

from retainops.clients.models import Client, Contact, Contract, ContractLine, ServiceLine
from retainops.clients.testing import ClientFactory, ContactFactory, make_contract
from retainops.core.models import BusinessUnit
from retainops.core.testing import ApiCaller


@pytest.fixture
def north_client(north):
    return ClientFactory.create(name="Harbor Dental", business_unit=north, external_id="CRM-1")


@pytest.fixture
def south_client(south):
    return ClientFactory.create(name="Cedar Auto", business_unit=south)


def test_token_from_username_and_password(account_manager):
    caller = ApiCaller(None)
    response = caller.post("/auth/token", {"username": "amy_am", "password": "pass-word-1"})
    assert response.status_code == 200
    token = response.json()["token"]
    me = caller.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "amy_am"


def test_wrong_password_gets_no_token(account_manager):
    response = ApiCaller(None).post("/auth/token", {"username": "amy_am", "password": "nope"})
    assert response.status_code == 422
    assert "password" in response.json()["errors"]


def test_no_token_is_refused(north_client):
    assert ApiCaller(None).get("/clients").status_code == 401


def test_bad_token_is_refused(north_client):
    caller = ApiCaller(None)
    caller.headers = {"Authorization": "Bearer not-a-token"}
    assert caller.get("/clients").status_code == 401


def test_list_shows_only_clients_of_my_units(account_manager, north_client, south_client):
    body = ApiCaller(account_manager).get("/clients").json()
    assert [c["name"] for c in body["items"]] == ["Harbor Dental"]
    assert body["count"] == 1


def test_user_without_unit_sees_nothing(outsider, north_client, south_client):
    assert ApiCaller(outsider).get("/clients").json()["count"] == 0


def test_administrator_sees_every_unit(administrator, north_client, south_client):
    assert ApiCaller(administrator).get("/clients").json()["count"] == 2


def test_other_unit_client_is_not_found(account_manager, south_client):
    caller = ApiCaller(account_manager)
    assert caller.get(f"/clients/{south_client.pk}").status_code == 404
    response = caller.patch(f"/clients/{south_client.pk}", {"name": "Renamed"})
    assert response.status_code == 404
    south_client.refresh_from_db()
    assert south_client.name == "Cedar Auto"


def test_unknown_client_is_not_found(account_manager):
    assert ApiCaller(account_manager).get("/clients/999999").status_code == 404


def test_create_client_names_each_bad_field_and_writes_nothing(account_manager, north):
    response = ApiCaller(account_manager).post(
        "/clients",
        {"name": "", "business_unit": "north", "website": "not a url", "sold_on": "someday"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert body["errors"] == {
        "name": ["String should have at least 1 character"],
        "website": ["Enter a valid URL."],
        "sold_on": ["Input should be a valid date or datetime, input is too short"],
    }
    assert Client.objects.count() == 0


def test_create_client_names_an_unknown_unit_with_the_other_bad_fields(account_manager, north):
    response = ApiCaller(account_manager).post(
        "/clients", {"name": "", "business_unit": "atlantis", "website": "not a url"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert sorted(errors) == ["business_unit", "name", "website"]
    assert errors["business_unit"] == ["No business unit has the code 'atlantis'."]
    assert Client.objects.count() == 0


def test_update_client_names_each_bad_field_and_changes_nothing(account_manager, north_client):
    industry = north_client.industry
    response = ApiCaller(account_manager).patch(
        f"/clients/{north_client.pk}",
        {"name": "", "website": "not a url", "business_unit": "atlantis", "industry": "Dental"},
    )
    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["business_unit", "name", "website"]
    north_client.refresh_from_db()
    assert (north_client.name, north_client.industry) == ("Harbor Dental", industry)
    assert north_client.history.count() == 1


def test_create_client_in_a_unit_i_do_not_work_in_is_refused(account_manager, south):
    response = ApiCaller(account_manager).post(
        "/clients", {"name": "Sneaky", "business_unit": "south"}
    )
    assert response.status_code == 403
    assert Client.objects.count() == 0


def test_create_client_unknown_unit_names_the_field(account_manager, north):
    response = ApiCaller(account_manager).post("/clients", {"name": "X", "business_unit": "nope"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["business_unit"]


def test_create_and_update_client_records_history(account_manager, north):
    caller = ApiCaller(account_manager)
    created = caller.post(
        "/clients", {"name": "Lakeside Vets", "business_unit": "north", "industry": "Vet"}
    )
    assert created.status_code == 201
    client_id = created.json()["id"]
    assert created.json()["status"]["value"] == "onboarding"
    updated = caller.patch(f"/clients/{client_id}", {"industry": "Veterinary"})
    assert updated.json()["industry"] == "Veterinary"
    history = caller.get(f"/clients/{client_id}/history").json()
    change = history[0]
    assert change["who"] == "amy_am"
    assert change["changes"] == [{"field": "industry", "old": "Vet", "new": "Veterinary"}]


def test_service_team_may_read_but_not_edit(service_agent, north_client):
    caller = ApiCaller(service_agent)
    assert caller.get(f"/clients/{north_client.pk}").status_code == 200
    response = caller.patch(f"/clients/{north_client.pk}", {"name": "Changed"})
    assert response.status_code == 403
    north_client.refresh_from_db()
    assert north_client.name == "Harbor Dental"


def test_status_follows_the_state_machine(account_manager, north_client):
    caller = ApiCaller(account_manager)
    path = f"/clients/{north_client.pk}/transitions"
    refused = caller.post(path, {"transition": "resume"})
    assert refused.status_code == 422
    assert "cannot resume" in refused.json()["errors"]["transition"][0]
    assert caller.post(path, {"transition": "go_live"}).json()["status"]["value"] == "active"
    assert caller.post(path, {"transition": "pause"}).json()["status"]["value"] == "paused"


def test_filters_search_status_owner_service(account_manager, north, north_client):
    other = ClientFactory.create(name="Pine Bakery", business_unit=north)
    make_contract(other, {"seo": "1200.00"})
    ApiCaller(account_manager).put(
        f"/clients/{north_client.pk}/team/account_manager", {"username": "amy_am"}
    )
    caller = ApiCaller(account_manager)

    def names(**params):
        return [c["name"] for c in caller.get("/clients", **params).json()["items"]]

    assert names(search="harb") == ["Harbor Dental"]
    assert names(search="CRM-1") == ["Harbor Dental"]
    assert names(owner="amy_am") == ["Harbor Dental"]
    assert names(service="seo") == ["Pine Bakery"]
    assert names(status="onboarding", sort="-mrr") == ["Pine Bakery", "Harbor Dental"]
    assert caller.get("/clients", status="nonsense").status_code == 422
    assert caller.get("/clients", owner="nobody").status_code == 422


def test_list_paginates(account_manager, north):
    for index in range(7):
        ClientFactory.create(name=f"Client {index:02d}", business_unit=north)
    page = ApiCaller(account_manager).get("/clients", page=2, page_size=5).json()
    assert page["count"] == 7
    assert [c["name"] for c in page["items"]] == ["Client 05", "Client 06"]


def test_contacts_crud(account_manager, north_client):
    caller = ApiCaller(account_manager)
    base = f"/clients/{north_client.pk}/contacts"
    bad = caller.post(base, {"name": "", "email": "not-an-email", "is_primary": "maybe"})
    assert bad.status_code == 422
    assert sorted(bad.json()["errors"]) == ["email", "is_primary", "name"]
    assert not Contact.objects.exists()
    created = caller.post(base, {"name": "Dana", "email": "dana@harbor.example"})
    assert created.status_code == 201
    contact_id = created.json()["id"]
    assert caller.patch(f"/contacts/{contact_id}", {"title": "Owner"}).json()["title"] == "Owner"
    assert caller.delete(f"/contacts/{contact_id}").status_code == 204
    assert not Contact.objects.filter(pk=contact_id).exists()


def test_contact_of_other_unit_is_not_found(account_manager, south_client):
    contact = ContactFactory.create(client=south_client)
    response = ApiCaller(account_manager).patch(f"/contacts/{contact.pk}", {"name": "X"})
    assert response.status_code == 404


def test_team_member_must_hold_the_role(account_manager, north, north_client):
    caller = ApiCaller(account_manager)
    path = f"/clients/{north_client.pk}/team/sales_rep"
    response = caller.put(path, {"username": "amy_am"})
    assert response.status_code == 422
    assert "does not have the role" in response.json()["errors"]["user"][0]


def test_contract_lines_make_mrr(account_manager, north_client):
    caller = ApiCaller(account_manager)
    response = caller.post(
        "/contracts",
        {
            "client": north_client.pk,
            "reference": "PO-100",
            "start_date": "2026-01-01",
            "term_months": 12,
            "lines": [
                {"service": "seo", "monthly_budget": "1500.00"},
                {"service": "sem", "monthly_budget": "2500.00"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    contract_id = response.json()["id"]
    assert Decimal(caller.get(f"/clients/{north_client.pk}").json()["mrr"]) == Decimal("4000")
    caller.put(f"/contracts/{contract_id}/lines/seo", {"monthly_budget": "500.00"})
    assert Decimal(caller.get(f"/clients/{north_client.pk}").json()["mrr"]) == Decimal("3000")
    caller.post(f"/contracts/{contract_id}/transitions", {"transition": "pause"})
    assert Decimal(caller.get(f"/clients/{north_client.pk}").json()["mrr"]) == Decimal("0")


def test_contract_with_unknown_service_writes_nothing(account_manager, north_client):
    response = ApiCaller(account_manager).post(
        "/contracts",
        {
            "client": north_client.pk,
            "reference": "PO-1",
            "start_date": "2026-01-01",
            "term_months": 0,
            "currency": "usd",
            "lines": [{"service": "teleportation", "monthly_budget": "-5"}],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "term_months": ["Input should be greater than or equal to 1"],
        "currency": ["Use a three-letter ISO 4217 code, e.g. USD."],
        "lines[0].service": ["No service line has the code 'teleportation'."],
        "lines[0].monthly_budget": ["Input should be greater than or equal to 0"],
    }
    assert Contract.objects.count() == 0
    assert ContractLine.objects.count() == 0


def test_contract_lines_are_named_by_their_index(account_manager, north_client):
    response = ApiCaller(account_manager).post(
        "/contracts",
        {
            "client": north_client.pk,
            "reference": "PO-3",
            "start_date": "2026-01-01",
            "term_months": 12,
            "lines": [
                {"service": "seo", "monthly_budget": "100.00"},
                {"monthly_budget": "lots"},
                {"service": "seo", "monthly_budget": "1234567890123.00"},
            ],
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert sorted(errors) == [
        "lines[1].monthly_budget",
        "lines[1].service",
        "lines[2].monthly_budget",
        "lines[2].service",
    ]
    assert errors["lines[1].service"] == ["Field required"]
    assert errors["lines[2].service"] == ["SEO appears twice."]
    assert Contract.objects.count() == 0


def test_contract_without_a_usable_client_names_it_with_the_other_bad_fields(account_manager):
    response = ApiCaller(account_manager).post(
        "/contracts",
        {"client": "harbor", "reference": "", "start_date": "2026-01-01", "term_months": 12},
    )
    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["client", "reference"]
    assert Contract.objects.count() == 0


def test_update_contract_names_each_bad_field_and_changes_nothing(account_manager, north_client):
    contract = make_contract(north_client, {"seo": "100.00"}, reference="HD-1")
    response = ApiCaller(account_manager).patch(
        f"/contracts/{contract.pk}",
        {"reference": "", "currency": "usd", "term_months": 500, "notes": "fine"},
    )
    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["currency", "reference", "term_months"]
    contract.refresh_from_db()
    assert (contract.reference, contract.currency, contract.term_months, contract.notes) == (
        "HD-1",
        "USD",
        12,
        "",
    )


def test_contract_currency_is_validated(account_manager, north_client):
    response = ApiCaller(account_manager).post(
        "/contracts",
        {
            "client": north_client.pk,
            "reference": "PO-2",
            "start_date": "2026-01-01",
            "term_months": 6,
            "currency": "dollars",
        },
    )
    assert response.status_code == 422
    assert "currency" in response.json()["errors"]
    assert Contract.objects.count() == 0


def test_service_team_cannot_create_contracts(service_agent, north_client):
    response = ApiCaller(service_agent).post(
        "/contracts",
        {"client": north_client.pk, "reference": "X", "start_date": "2026-01-01", "term_months": 6},
    )
    assert response.status_code == 403


def test_catalogue_is_administered_by_administrators_only(account_manager, administrator):
    body = {"code": "podcast", "name": "Podcast ads"}
    assert ApiCaller(account_manager).post("/services", body).status_code == 403
    assert ApiCaller(administrator).post("/services", body).status_code == 201
    duplicate = ApiCaller(administrator).post("/services", body)
    assert duplicate.status_code == 422
    assert "code" in duplicate.json()["errors"]


def test_user_roles_set_by_administrator_only(account_manager, administrator, service_agent):
    path = f"/users/{service_agent.pk}/access"
    body = {"roles": ["service_team", "team_lead"]}
    assert ApiCaller(account_manager).put(path, body).status_code == 403
    response = ApiCaller(administrator).put(path, body)
    assert response.json()["roles"] == ["service_team", "team_lead"]
    unknown = ApiCaller(administrator).put(path, {"roles": ["wizard"]})
    assert unknown.status_code == 422


def test_delete_client_only_by_administrator(account_manager, administrator, north_client):
    assert ApiCaller(account_manager).delete(f"/clients/{north_client.pk}").status_code == 403
    assert ApiCaller(administrator).delete(f"/clients/{north_client.pk}").status_code == 204
    assert not Client.objects.filter(pk=north_client.pk).exists()


def test_openapi_document_is_served(db):
    response = ApiCaller(None).http.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/clients" in response.json()["paths"]


def test_update_contract_changes_its_terms(account_manager, north_client):
    contract = make_contract(north_client, {"seo": "100.00"}, reference="HD-1")
    caller = ApiCaller(account_manager)
    response = caller.patch(
        f"/contracts/{contract.pk}",
        {"term_months": 24, "currency": "EUR", "renewal_date": "2028-01-01"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["term_months"], body["currency"], body["renewal_date"]) == (
        24,
        "EUR",
        "2028-01-01",
    )
    contract.refresh_from_db()
    assert (contract.term_months, contract.currency) == (24, "EUR")
    change = caller.get(f"/clients/{north_client.pk}/history").json()[0]
    assert (change["what"], change["who"]) == ("Contract", "amy_am")
    assert {c["field"]: (c["old"], c["new"]) for c in change["changes"]} == {
        "term_months": (12, 24),
        "currency": ("USD", "EUR"),
        "renewal_date": (None, "2028-01-01"),
    }


def test_removing_a_contract_line_lowers_the_clients_mrr(account_manager, north_client):
    contract = make_contract(north_client, {"seo": "100.00", "sem": "50.00"})
    caller = ApiCaller(account_manager)
    response = caller.delete(f"/contracts/{contract.pk}/lines/seo")
    assert response.status_code == 200
    assert [line["service"] for line in response.json()["lines"]] == ["sem"]
    assert Decimal(response.json()["monthly_total"]) == Decimal("50")
    assert Decimal(caller.get(f"/clients/{north_client.pk}").json()["mrr"]) == Decimal("50")
    assert caller.delete(f"/contracts/{contract.pk}/lines/seo").status_code == 404
    assert ContractLine.objects.filter(contract=contract).count() == 1


def test_administrator_updates_a_service_and_retired_services_leave_the_list(
    account_manager, administrator
):
    ott = ServiceLine.objects.get(code="ott")
    path = f"/services/{ott.pk}"
    assert ApiCaller(account_manager).patch(path, {"name": "Connected TV"}).status_code == 403
    bad = ApiCaller(administrator).patch(path, {"name": "", "is_active": "perhaps"})
    assert bad.status_code == 422
    assert sorted(bad.json()["errors"]) == ["is_active", "name"]
    ott.refresh_from_db()
    assert (ott.name, ott.is_active) == ("OTT / connected TV", True)
    response = ApiCaller(administrator).patch(path, {"name": "Connected TV", "is_active": False})
    assert response.json()["name"] == "Connected TV"
    listed = [s["code"] for s in ApiCaller(account_manager).get("/services").json()]
    assert "ott" not in listed and "seo" in listed
    everything = ApiCaller(account_manager).get("/services", include_inactive="true").json()
    assert "ott" in [s["code"] for s in everything]


def test_contract_list_paginates_newest_first_and_filters(account_manager, north, north_client):
    other = ClientFactory.create(name="Pine Bakery", business_unit=north)
    march = make_contract(north_client, {"seo": "1"}, reference="M", start=date(2026, 3, 1))
    january = make_contract(north_client, {"seo": "1"}, reference="J", start=date(2026, 1, 1))
    draft = make_contract(other, {"sem": "1"}, reference="D", start=date(2026, 2, 1), active=False)
    caller = ApiCaller(account_manager)

    def ids(**params):
        body = caller.get("/contracts", **params).json()
        return body["count"], [c["id"] for c in body["items"]]

    assert ids(page_size=2) == (3, [march.pk, draft.pk])
    assert ids(page_size=2, page=2) == (3, [january.pk])
    assert ids(client=north_client.pk) == (2, [march.pk, january.pk])
    assert ids(status="draft") == (1, [draft.pk])


def test_user_list_paginates_for_administrators_only(
    administrator, account_manager, south_account_manager, service_agent
):
    caller = ApiCaller(administrator)
    first = caller.get("/users", page_size=3).json()
    assert first["count"] == 4
    assert [u["username"] for u in first["items"]] == ["ada_admin", "amy_am", "sam_south"]
    second = caller.get("/users", page_size=3, page=2).json()
    assert [u["username"] for u in second["items"]] == ["sid_service"]
    assert second["items"][0]["roles"] == ["service_team"]
    assert second["items"][0]["business_units"] == ["north"]
    assert ApiCaller(account_manager).get("/users").status_code == 403


def test_administrator_creates_a_business_unit(administrator, account_manager, north):
    body = {"code": "east", "name": "East Coast"}
    assert ApiCaller(account_manager).post("/business-units", body).status_code == 403
    assert not BusinessUnit.objects.filter(code="east").exists()
    created = ApiCaller(administrator).post("/business-units", body)
    assert created.status_code == 201
    assert created.json()["code"] == "east"
    assert BusinessUnit.objects.get(code="east").name == "East Coast"
    taken = ApiCaller(administrator).post("/business-units", {"code": "north", "name": "N2"})
    assert taken.status_code == 422
    assert "code" in taken.json()["errors"]
    assert BusinessUnit.objects.count() == 2


def test_reference_lists_answer_in_full(account_manager, north, south):
    caller = ApiCaller(account_manager)
    units = caller.get("/business-units").json()
    assert sorted(u["code"] for u in units) == ["north", "south"]
    services = caller.get("/services").json()
    assert len(services) == ServiceLine.objects.filter(is_active=True).count()


def test_bad_tool_and_budget_bodies_are_named_and_change_nothing(account_manager, north_client):
    contract = make_contract(north_client, {"seo": "100.00"})
    caller = ApiCaller(account_manager)
    tool = caller.post(f"/clients/{north_client.pk}/tools", {"tool": "fax", "reference": 5})
    assert tool.status_code == 422
    assert sorted(tool.json()["errors"]) == ["reference", "tool"]
    assert not north_client.tools.exists()
    budget = caller.put(f"/contracts/{contract.pk}/lines/seo", {"monthly_budget": "-1"})
    assert budget.status_code == 422
    assert list(budget.json()["errors"]) == ["monthly_budget"]
    unknown = caller.put(f"/contracts/{contract.pk}/lines/radio", {"monthly_budget": "x"})
    assert sorted(unknown.json()["errors"]) == ["monthly_budget", "service"]
    assert [str(line.monthly_budget) for line in contract.lines.all()] == ["100.00"]
