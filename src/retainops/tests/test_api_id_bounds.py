"""Every id the API reads is bounded: one too large for a database key answers 422, never 500.

The operations come from the OpenAPI document itself, so an operation added later is
covered by being listed, not by someone remembering to add it here.
"""

from typing import Any

from retainops.api import api
from retainops.core.schemas import MAX_ID
from retainops.core.testing import ApiCaller, UserFactory

TOO_LARGE = MAX_ID + 1  # 9223372036854775808


def _document() -> dict[str, Any]:
    return api.get_openapi_schema()


def _integer_query_parameters() -> list[tuple[str, str]]:
    """(path, parameter) for every integer query parameter of every GET operation."""
    found = []
    for path, operations in _document()["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            schema = parameter.get("schema", {})
            kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if parameter["in"] == "query" and "integer" in kinds:
                found.append((path.removeprefix("/api/v1"), parameter["name"]))
    return found


def test_the_document_lists_id_filters_to_sweep() -> None:
    names = {name for _path, name in _integer_query_parameters()}
    assert {"client", "team"} <= names


def test_an_id_filter_too_large_for_a_key_answers_422(north) -> None:
    """One caller sweeps every integer query parameter (one test, so one token and one user)."""
    caller = ApiCaller(UserFactory.create(username="ada", roles=["administrator"], units=[north]))
    wrong = []
    for path, parameter in _integer_query_parameters():
        response = caller.get(path, **{parameter: str(TOO_LARGE)})
        named = response.status_code == 422 and parameter in response.json().get("errors", {})
        if not named:
            wrong.append((path, parameter, response.status_code))
    assert wrong == []


def test_a_path_id_too_large_for_a_key_is_not_found(north) -> None:
    caller = ApiCaller(UserFactory.create(username="ada", roles=["administrator"], units=[north]))
    paths = sorted(
        path.removeprefix("/api/v1")
        for path, operations in _document()["paths"].items()
        if "get" in operations and path.count("{") == 1 and path.endswith("_id}")
    )
    assert paths, "the document lists operations on one object"
    wrong = []
    for path in paths:
        concrete = path[: path.index("{")] + str(TOO_LARGE) + path[path.index("}") + 1 :]
        response = caller.get(concrete)
        if response.status_code not in (404, 422):
            wrong.append((concrete, response.status_code))
    assert wrong == []


def test_a_body_id_too_large_is_refused_with_its_field(north) -> None:
    administrator = UserFactory.create(username="ada", roles=["administrator"], units=[north])
    response = ApiCaller(administrator).post(
        "/complaints", {"client": TOO_LARGE, "summary": "x", "details": "y", "channel": "phone"}
    )
    assert response.status_code == 422
    assert "client" in response.json()["errors"]
