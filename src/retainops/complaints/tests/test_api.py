"""The complaints API: raising, the clock in every answer, moving, resolving, and the
configuration; with the refusals in the shape of every other endpoint."""

import pytest

from retainops.complaints.models import Complaint, ServiceLevelPolicy

pytestmark = pytest.mark.django_db


def _raise(api, harbor, **overrides):
    body = {
        "client": harbor.pk,
        "channel": "email",
        "severity": "medium",
        "category": "billing",
        "summary": "Invoiced twice",
        "description": "We were charged twice for November.",
        **overrides,
    }
    return api.post("/complaints", body)


def test_a_complaint_raised_through_the_api_shows_its_clock(api_as, account_manager, harbor, clock):
    api = api_as(account_manager)

    answer = _raise(api, harbor)

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "new"
    assert body["owner"] == account_manager.username
    assert body["clock"]["clock"] == "response"
    assert body["clock"]["state"] == "running"
    assert body["clock"]["target_minutes"] == 240
    listed = api.get("/complaints", open="true").json()
    assert [c["id"] for c in listed["items"]] == [body["id"]]
    assert listed["items"][0]["resolution_clock"]["state"] == "running"


def test_waiting_on_the_client_pauses_the_clock_in_the_answer(api_as, account_manager, harbor):
    api = api_as(account_manager)
    complaint = _raise(api, harbor).json()

    for step in ("acknowledge", "start", "wait"):
        answer = api.post(f"/complaints/{complaint['id']}/{step}", {"note": ""})
        assert answer.status_code == 200, answer.json()

    body = answer.json()
    assert body["status"] == "waiting_on_client"
    assert body["clock"]["clock"] == "resolution"
    assert body["clock"]["state"] == "paused"
    assert body["clock"]["due_at"] is None


def test_resolving_through_the_api_names_what_is_missing(
    api_as, account_manager, harbor, team_lead
):
    api = api_as(account_manager)
    complaint = _raise(api, harbor).json()
    api.post(f"/complaints/{complaint['id']}/acknowledge", {})

    refused = api.post(
        f"/complaints/{complaint['id']}/resolve",
        {
            "root_cause": "nonsense",
            "actions": [{"title": "x", "owner": "", "due_date": "2030-01-01"}],
        },
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"root_cause", "actions[0].owner"}

    answer = api.post(
        f"/complaints/{complaint['id']}/resolve",
        {
            "root_cause": "staff-error",
            "resolution": "Refunded the second charge.",
            "actions": [
                {
                    "title": "Invoice run checklist",
                    "owner": team_lead.username,
                    "due_date": "2030-01-01",
                }
            ],
        },
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["status"], body["root_cause"]) == ("resolved", "staff-error")
    assert body["clock"]["state"] == "met"
    action = body["actions"][0]
    done = api_as(team_lead).post(f"/improvement-actions/{action['id']}/done", {})
    assert done.json()["state"] == "done"


def test_another_units_complaints_are_not_found_and_outsiders_cannot_raise(
    api_as, account_manager, south_account_manager, harbor
):
    complaint = _raise(api_as(account_manager), harbor).json()

    assert api_as(south_account_manager).get(f"/complaints/{complaint['id']}").status_code == 404
    assert (
        api_as(south_account_manager)
        .post(f"/complaints/{complaint['id']}/acknowledge", {})
        .status_code
        == 404
    )
    assert _raise(api_as(south_account_manager), harbor).status_code == 404
    assert api_as(None).get("/complaints").status_code == 401
    assert Complaint.objects.count() == 1


def test_bad_input_names_the_field(api_as, account_manager, harbor):
    answer = _raise(api_as(account_manager), harbor, channel="pigeon", category="nope")

    assert answer.status_code == 422
    assert "channel" in answer.json()["errors"]
    assert not Complaint.objects.exists()


def test_only_operations_changes_service_levels_and_bad_ones_are_refused(
    api_as, account_manager, ops_lead, north
):
    body = {
        "business_unit": north.pk,
        "severity": "critical",
        "first_response_minutes": 30,
        "resolution_minutes": 20,
        "warn_at_percent": 100,
    }
    assert api_as(account_manager).post("/service-levels", body).status_code == 403

    refused = api_as(ops_lead).post("/service-levels", body)
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"resolution_minutes", "warn_at_percent"}
    assert not ServiceLevelPolicy.objects.filter(business_unit=north).exists()

    made = api_as(ops_lead).post(
        "/service-levels", {**body, "resolution_minutes": 240, "warn_at_percent": 80}
    )
    assert made.status_code == 201, made.json()


def test_business_hours_are_refused_naming_each_bad_field(api_as, ops_lead, north):
    answer = api_as(ops_lead).put(
        f"/business-units/{north.pk}/business-hours",
        {
            "time_zone": "Mars/Olympus",
            "working_days": [0, 9],
            "opens_at": "17:00",
            "closes_at": "09:00",
            "holiday_country": "XX",
        },
    )

    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {
        "time_zone",
        "working_days",
        "closes_at",
        "holiday_country",
    }

    good = api_as(ops_lead).put(
        f"/business-units/{north.pk}/business-hours",
        {
            "time_zone": "Europe/Dublin",
            "working_days": [1, 2, 3, 4, 5],
            "opens_at": "09:00",
            "closes_at": "17:30",
            "holiday_country": "ie",
        },
    )
    assert good.status_code == 200, good.json()
    assert good.json()["holiday_country"] == "IE"


HOURS = {
    "time_zone": "Europe/Dublin",
    "working_days": [1, 2, 3, 4, 5],
    "opens_at": "09:00",
    "closes_at": "17:30",
    "holiday_country": "IE",
}


def test_an_operations_lead_sets_only_their_own_units_hours_and_levels(api_as, ops_lead, south):
    from retainops.complaints.models import BusinessCalendar

    api = api_as(ops_lead)
    policies = ServiceLevelPolicy.objects.count()
    level = {
        "severity": "critical",
        "first_response_minutes": 30,
        "resolution_minutes": 240,
        "warn_at_percent": 80,
    }

    hours = api.put(f"/business-units/{south.pk}/business-hours", HOURS)
    theirs = api.post("/service-levels", {**level, "business_unit": south.pk})
    everyone = api.post("/service-levels", {**level, "business_unit": None})

    assert (hours.status_code, theirs.status_code, everyone.status_code) == (403, 403, 403)
    assert hours.json()["detail"] == "You do not work in that business unit."
    assert not BusinessCalendar.objects.filter(business_unit=south).exists()
    assert ServiceLevelPolicy.objects.count() == policies


def test_a_policy_of_another_unit_is_not_changed(api_as, ops_lead, administrator, south):
    made = api_as(administrator).post(
        "/service-levels",
        {
            "business_unit": south.pk,
            "severity": "critical",
            "first_response_minutes": 30,
            "resolution_minutes": 240,
            "warn_at_percent": 80,
        },
    )
    assert made.status_code == 201, made.json()

    changed = api_as(ops_lead).patch(
        f"/service-levels/{made.json()['id']}", {"resolution_minutes": 999}
    )

    assert changed.status_code in (403, 404)
    assert ServiceLevelPolicy.objects.get(pk=made.json()["id"]).resolution_minutes == 240
