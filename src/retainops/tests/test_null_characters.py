"""A NUL character (U+0000) anywhere in a request is refused, named, before any view runs:
PostgreSQL cannot store it, so without the check the same request passes on SQLite and
fails midway as a server error on PostgreSQL."""

import json

import pytest

from retainops.cadence.models import ContactKind
from retainops.core.testing import ApiCaller

pytestmark = pytest.mark.django_db

KIND = {"code": "website", "label": "Site visit", "channel": "meeting", "remind_hours": 80}


def test_a_json_string_holding_nul_is_named_and_nothing_is_written(administrator):
    before = ContactKind.objects.count()

    response = ApiCaller(administrator).post("/cadence/kinds", {**KIND, "label": "Site\x00visit"})

    assert response.status_code == 422, response.content
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"label": ["The NUL character (U+0000) is not allowed."]},
    }
    assert ContactKind.objects.count() == before


def test_nested_strings_and_keys_are_named_by_their_path(administrator):
    body = {**KIND, "extra": {"inner": ["fine", "bad\x00"]}, "k\x00ey": 1}

    response = ApiCaller(administrator).post("/cadence/kinds", body)

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"extra.inner.1", "key"}


def test_the_same_request_without_nul_is_accepted(administrator):
    response = ApiCaller(administrator).post("/cadence/kinds", KIND)

    assert response.status_code == 201, response.content
    assert ContactKind.objects.filter(code="website").exists()


def test_query_string_and_path_are_checked_in_the_api(administrator):
    caller = ApiCaller(administrator)

    by_query = caller.get("/clients", q="a\x00b")
    by_path = caller.http.patch(
        "/api/v1/change-reasons/a%00b", json.dumps({}), "application/json", headers=caller.headers
    )

    assert (by_query.status_code, list(by_query.json()["errors"])) == (422, ["q"])
    assert (by_path.status_code, list(by_path.json()["errors"])) == (422, ["path"])


def test_a_page_answers_400_as_plain_text(client, administrator):
    client.force_login(administrator)

    search = client.get("/clients/", {"q": "<b>\x00"})
    form = client.post("/clients/new/", {"name": "Acme\x00", "<i>": "x"})

    assert search.status_code == 400
    assert search["Content-Type"].startswith("text/plain")
    assert "Found in: q." in search.content.decode()
    assert (form.status_code, "Found in: name." in form.content.decode()) == (400, True)
