"""A retired business unit, seen from its clients (through the API)."""

import pytest

from retainops.clients.testing import ClientFactory
from retainops.core.testing import ApiCaller

pytestmark = pytest.mark.django_db


def test_a_retired_unit_keeps_its_clients_and_takes_no_new_ones(administrator, north, south):
    harbor = ClientFactory.create(name="Harbor Dental", business_unit=north)
    cedar = ClientFactory.create(name="Cedar Auto", business_unit=south)
    caller = ApiCaller(administrator)

    response = caller.post(f"/business-units/{north.pk}/retire", {})

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    north.refresh_from_db()
    assert not north.is_active
    assert north.history.first().history_change_reason == "retired"
    assert caller.get(f"/clients/{harbor.pk}").json()["business_unit"] == "north"
    created = caller.post("/clients", {"name": "Pine Bakery", "business_unit": "north"})
    assert created.status_code == 422
    assert "retired" in created.json()["errors"]["business_unit"][0]
    moved = caller.patch(f"/clients/{cedar.pk}", {"business_unit": "north"})
    assert moved.status_code == 422
    assert list(moved.json()["errors"]) == ["business_unit"]
    assert north.clients.count() == 1
    again = caller.post(f"/business-units/{north.pk}/retire", {})
    assert again.status_code == 200
    assert north.history.count() == 2  # created, retired once
