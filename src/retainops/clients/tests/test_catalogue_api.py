"""The catalogues through the API: tools and boards, services; edited and retired as on
their pages, by those who manage the catalogue only."""

import pytest

from retainops.clients.models import ClientTool, ServiceLine, Tool
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.testing import ApiCaller


@pytest.fixture
def crm(db: None) -> Tool:
    return Tool.objects.get(code="crm")


@pytest.fixture
def harbor(north):
    return ClientFactory.create(name="Harbor Dental", business_unit=north)


def _history(row):
    """(reason, who) of each history row, newest first."""
    return [(h.history_change_reason or "", h.history_user.username) for h in row.history.all()]


# Tools and boards ------------------------------------------------------------------------


def test_administrator_edits_a_tool_and_the_history_names_them(administrator, crm):
    response = ApiCaller(administrator).patch(
        f"/tools/{crm.pk}",
        {"code": "salesforce", "name": "Salesforce", "kind": "board", "platform_exit_only": False},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["code"], body["name"], body["kind"], body["platform_exit_only"]) == (
        "salesforce",
        "Salesforce",
        "board",
        False,
    )
    crm.refresh_from_db()
    assert (crm.code, crm.name, crm.is_active) == ("salesforce", "Salesforce", True)
    assert crm.history.first().history_user == administrator


def test_an_account_manager_may_not_edit_a_tool(account_manager, crm):
    response = ApiCaller(account_manager).patch(f"/tools/{crm.pk}", {"name": "Renamed"})

    assert response.status_code == 403
    crm.refresh_from_db()
    assert crm.name == "CRM"


def test_a_bad_tool_edit_names_each_field_and_changes_nothing(administrator, crm):
    before = crm.history.count()

    response = ApiCaller(administrator).patch(
        f"/tools/{crm.pk}", {"name": "", "kind": "fax", "is_active": "perhaps"}
    )

    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["is_active", "kind", "name"]
    crm.refresh_from_db()
    assert (crm.name, crm.kind, crm.is_active) == ("CRM", "tool", True)
    assert crm.history.count() == before


def test_a_tool_may_not_take_another_ones_code(administrator, crm):
    response = ApiCaller(administrator).patch(f"/tools/{crm.pk}", {"code": "billing"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["code"]
    crm.refresh_from_db()
    assert crm.code == "crm"


def test_an_unknown_tool_is_not_found(administrator):
    caller = ApiCaller(administrator)

    assert caller.patch("/tools/999999", {"name": "Ghost"}).status_code == 404
    assert caller.post("/tools/999999/retire", {}).status_code == 404


def test_a_retired_tool_keeps_the_clients_set_up_in_it_and_takes_no_new_ones(
    administrator, account_manager, crm, harbor, north
):
    ClientTool.objects.create(client=harbor, tool=crm, reference="HD-1")

    response = ApiCaller(administrator).post(f"/tools/{crm.pk}/retire", {})

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    crm.refresh_from_db()
    assert not crm.is_active
    assert _history(crm)[0] == ("retired", "ada_admin")
    assert list(harbor.tools.values_list("tool__code", flat=True)) == ["crm"]
    other = ClientFactory.create(name="Pine Bakery", business_unit=north)
    refused = ApiCaller(account_manager).post(f"/clients/{other.pk}/tools", {"tool": "crm"})
    assert refused.status_code == 422
    assert "retired" in refused.json()["errors"]["tool"][0]
    assert not other.tools.exists()


def test_retiring_a_retired_tool_changes_nothing(administrator, crm):
    caller = ApiCaller(administrator)
    caller.post(f"/tools/{crm.pk}/retire", {})
    before = crm.history.count()

    again = caller.post(f"/tools/{crm.pk}/retire", {})

    assert again.status_code == 200
    assert again.json()["is_active"] is False
    assert crm.history.count() == before


def test_an_account_manager_may_not_retire_a_tool(account_manager, crm):
    assert ApiCaller(account_manager).post(f"/tools/{crm.pk}/retire", {}).status_code == 403
    crm.refresh_from_db()
    assert crm.is_active


# Services --------------------------------------------------------------------------------


def test_a_retired_service_stays_on_contracts_and_no_new_line_may_name_it(
    administrator, account_manager, harbor
):
    seo = ServiceLine.objects.get(code="seo")
    contract = make_contract(harbor, {"seo": "100.00"})
    draft = make_contract(harbor, {"sem": "50.00"}, active=False)

    response = ApiCaller(administrator).post(f"/services/{seo.pk}/retire", {})

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    seo.refresh_from_db()
    assert _history(seo)[0] == ("retired", "ada_admin")
    caller = ApiCaller(account_manager)
    kept = caller.get(f"/contracts/{contract.pk}").json()
    assert [line["service"] for line in kept["lines"]] == ["seo"]
    refused = caller.put(f"/contracts/{draft.pk}/lines/seo", {"monthly_budget": "10.00"})
    assert refused.status_code == 422
    assert "no longer offered" in refused.json()["errors"]["service"][0]
    assert [line.service.code for line in draft.lines.all()] == ["sem"]
    assert "seo" not in [s["code"] for s in caller.get("/services").json()]


def test_an_account_manager_may_not_retire_a_service(account_manager):
    seo = ServiceLine.objects.get(code="seo")

    assert ApiCaller(account_manager).post(f"/services/{seo.pk}/retire", {}).status_code == 403
    seo.refresh_from_db()
    assert seo.is_active


def test_an_unknown_service_is_not_found(administrator):
    caller = ApiCaller(administrator)

    assert caller.post("/services/999999/retire", {}).status_code == 404
    assert caller.patch("/services/999999", {"name": "Ghost"}).status_code == 404


def test_a_service_code_is_edited_as_on_its_page_and_a_taken_one_is_named(administrator):
    ott = ServiceLine.objects.get(code="ott")
    caller = ApiCaller(administrator)

    taken = caller.patch(f"/services/{ott.pk}", {"code": "seo", "name": ""})
    assert taken.status_code == 422
    assert sorted(taken.json()["errors"]) == ["code", "name"]
    ott.refresh_from_db()
    assert ott.code == "ott"

    renamed = caller.patch(f"/services/{ott.pk}", {"code": "ctv"})
    assert renamed.status_code == 200
    assert ServiceLine.objects.get(pk=ott.pk).code == "ctv"


def test_catalogue_entries_are_retired_not_deleted(administrator, crm):
    """The pages only retire (rows that contracts and clients point to stay); so does the API."""
    seo = ServiceLine.objects.get(code="seo")
    caller = ApiCaller(administrator)

    assert caller.delete(f"/services/{seo.pk}").status_code == 405
    assert caller.delete(f"/tools/{crm.pk}").status_code == 405
    assert ServiceLine.objects.filter(pk=seo.pk).exists()
    assert Tool.objects.filter(pk=crm.pk).exists()
