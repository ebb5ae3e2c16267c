"""Business units through the API: edited and retired as on their page, by those who
manage units only."""

import pytest

from retainops.core.models import BusinessUnit
from retainops.core.testing import ApiCaller

pytestmark = pytest.mark.django_db


def test_administrator_renames_a_unit_and_the_history_names_them(administrator, north):
    response = ApiCaller(administrator).patch(
        f"/business-units/{north.pk}", {"name": "Northern Media", "code": "northern"}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["code"], response.json()["name"]) == ("northern", "Northern Media")
    north.refresh_from_db()
    assert (north.code, north.name, north.is_active) == ("northern", "Northern Media", True)
    assert north.history.first().history_user == administrator


def test_an_account_manager_may_not_edit_or_retire_a_unit(account_manager, north):
    caller = ApiCaller(account_manager)

    assert caller.patch(f"/business-units/{north.pk}", {"name": "Mine"}).status_code == 403
    assert caller.post(f"/business-units/{north.pk}/retire", {}).status_code == 403
    north.refresh_from_db()
    assert (north.name, north.is_active) == ("North Media", True)


def test_a_bad_unit_edit_names_each_field_and_changes_nothing(administrator, north):
    before = north.history.count()

    response = ApiCaller(administrator).patch(
        f"/business-units/{north.pk}", {"code": "not a slug", "name": "", "is_active": "perhaps"}
    )

    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["code", "is_active", "name"]
    north.refresh_from_db()
    assert (north.code, north.name, north.is_active) == ("north", "North Media", True)
    assert north.history.count() == before


def test_a_unit_may_not_take_another_ones_name(administrator, north, south):
    response = ApiCaller(administrator).patch(
        f"/business-units/{north.pk}", {"name": "South Digital"}
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]
    assert BusinessUnit.objects.get(pk=north.pk).name == "North Media"


def test_an_unknown_unit_is_not_found(administrator):
    caller = ApiCaller(administrator)

    assert caller.patch("/business-units/999999", {"name": "Ghost"}).status_code == 404
    assert caller.post("/business-units/999999/retire", {}).status_code == 404
