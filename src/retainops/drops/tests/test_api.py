"""The drops API: the Erlang C calculator as the issue gives it, impossible targets named,
planning and readiness through the API, another unit's drop not found."""

import pytest

from retainops.drops.tests.conftest import DROP_AT

ISSUE_BODY = {
    "contacts": 100,
    "interval_minutes": 30,
    "aht_seconds": 180,
    "target_answer_seconds": 20,
    "service_level": 0.8,
    "max_occupancy": 0.85,
    "shrinkage": 0.3,
}


def test_erlang_c_answers_the_issues_example(api_as, account_manager):
    answer = api_as(account_manager).post("/staffing/erlang-c", ISSUE_BODY)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["agents"], body["scheduled_agents"]) == (14, 20)
    assert body["service_level"] == pytest.approx(0.888, abs=1e-3)
    assert body["probability_of_waiting"] == pytest.approx(0.1741, abs=1e-4)
    assert body["average_speed_of_answer_seconds"] == pytest.approx(7.84, abs=0.01)
    assert body["occupancy"] == pytest.approx(0.714, abs=1e-3)


@pytest.mark.parametrize(
    ("field", "value"), [("max_occupancy", 1.0), ("aht_seconds", 0), ("contacts", -10)]
)
def test_impossible_targets_answer_422_naming_the_field(api_as, account_manager, field, value):
    answer = api_as(account_manager).post("/staffing/erlang-c", {**ISSUE_BODY, field: value})
    assert answer.status_code == 422
    assert field in answer.json()["errors"]


def test_erlang_c_needs_a_login(api_as, db):
    assert api_as(None).post("/staffing/erlang-c", ISSUE_BODY).status_code == 401


def test_plan_and_refused_ready_through_the_api(api_as, account_manager, program, clock):
    caller = api_as(account_manager)
    planned = caller.post(
        "/drops",
        {
            "program": program.pk,
            "name": "Spring TV",
            "channel": "tv",
            "drop_at": DROP_AT.isoformat(),
            "audience_size": 100000,
            "expected_response_rate": 0.01,
        },
    )
    assert planned.status_code == 201, planned.json()
    drop_id = planned.json()["id"]
    refused = caller.post(f"/drops/{drop_id}/ready", {})
    assert refused.status_code == 422 and "gates" in refused.json()["errors"]
    week = caller.get("/staffing/week", start=DROP_AT.isoformat())
    assert week.status_code == 200 and week.json()["intervals"][0]["needed"] > 0


def test_another_units_drop_is_not_found(api_as, plan, south_account_manager):
    drop = plan()
    assert api_as(south_account_manager).get(f"/drops/{drop.pk}").status_code == 404


def test_empty_week_through_the_api(api_as, account_manager):
    answer = api_as(account_manager).get("/staffing/week", start=DROP_AT.isoformat())
    assert answer.status_code == 200 and answer.json()["intervals"] == []
