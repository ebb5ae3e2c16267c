"""The contact-plan API: the same services as the pages, 422 naming the field, 403 for
a missing right, 404 for another unit's client."""

import pytest

from retainops.cadence.models import Occurrence, PlanItem

pytestmark = pytest.mark.django_db

ITEM = {
    "kind": "call",
    "rrule": "FREQ=WEEKLY;BYDAY=TU",
    "starts_on": "2026-11-24",
    "owner_role": "account_manager",
}


def test_an_account_manager_plans_calls_and_logs_one_through_the_api(
    clock, api_as, harbor, account_manager
):
    caller = api_as(account_manager)
    answer = caller.post(f"/clients/{harbor.pk}/plan", ITEM)
    assert answer.status_code == 201, answer.json()
    assert answer.json()["state"]["value"] == "active" and answer.json()["channel"] == "call"
    occurrences = caller.get(f"/clients/{harbor.pk}/occurrences").json()
    assert occurrences["count"] == 5
    logged = caller.post(
        f"/clients/{harbor.pk}/touchpoints",
        {"channel": "call", "summary": "Weekly check-in", "contacts": [harbor.contacts.first().pk]},
    )
    assert logged.status_code == 201 and logged.json()["source"] == "api"
    figures = caller.get(f"/clients/{harbor.pk}/adherence").json()
    assert figures["days_since_last_touch"] == 0
    done = caller.get(f"/clients/{harbor.pk}/occurrences", state="done").json()["items"]
    assert done[0]["touchpoint"] == logged.json()["id"]


def test_a_bad_rule_answers_422_naming_it_and_writes_nothing(
    clock, api_as, harbor, account_manager
):
    answer = api_as(account_manager).post(
        f"/clients/{harbor.pk}/plan", {**ITEM, "rrule": "FREQ=WEEKLY;BYDAY=XX", "kind": "nope"}
    )
    assert answer.status_code == 422
    assert "kind" in answer.json()["errors"]
    answer = api_as(account_manager).post(f"/clients/{harbor.pk}/plan", {**ITEM, "rrule": "FREQ=X"})
    assert answer.status_code == 422 and "rrule" in answer.json()["errors"]
    assert not PlanItem.objects.exists()


def test_editing_through_the_api_moves_the_future(clock, api_as, harbor, account_manager):
    caller = api_as(account_manager)
    item = caller.post(f"/clients/{harbor.pk}/plan", ITEM).json()
    answer = caller.patch(f"/plan-items/{item['id']}", {"rrule": "FREQ=WEEKLY;BYDAY=FR"})
    assert answer.status_code == 200 and answer.json()["revision"] == 2
    assert {o.due_at.weekday() for o in Occurrence.objects.all()} == {4}
    ended = caller.post(f"/plan-items/{item['id']}/end", {})
    assert ended.json()["state"]["value"] == "ended"


def test_settling_occurrences_through_the_api(clock, api_as, harbor, account_manager):
    caller = api_as(account_manager)
    caller.post(f"/clients/{harbor.pk}/plan", ITEM)
    first, second, third = Occurrence.objects.order_by("due_at")[:3]
    assert (
        caller.post(f"/occurrences/{first.pk}/done", {"notes": "Spoke to Dana"}).json()["state"][
            "value"
        ]
        == "done"
    )
    skipped = caller.post(f"/occurrences/{second.pk}/skip", {"reason": ""})
    assert skipped.status_code == 422 and "reason" in skipped.json()["errors"]
    moved = caller.post(f"/occurrences/{third.pk}/move", {"due_at": "2026-12-10T15:00:00Z"})
    assert moved.json()["state"]["value"] == "moved"


def test_a_service_agent_is_refused_and_another_unit_sees_nothing(
    clock, api_as, harbor, service_agent, south_account_manager
):
    assert api_as(service_agent).post(f"/clients/{harbor.pk}/plan", ITEM).status_code == 403
    assert api_as(south_account_manager).get(f"/clients/{harbor.pk}/plan").status_code == 404
    assert api_as(south_account_manager).get(f"/clients/{harbor.pk}/adherence").status_code == 404


def test_untouched_clients_and_the_workload(
    clock, api_as, harbor, account_manager, lead, colleague
):
    caller = api_as(lead)
    untouched = caller.get("/cadence/untouched", days=30, unit="north").json()
    assert [c["name"] for c in untouched["items"]] == ["Harbor Dental"]
    assert caller.get("/cadence/untouched", unit="nowhere").status_code == 422
    api_as(account_manager).post(f"/clients/{harbor.pk}/plan", ITEM)
    loads = caller.get("/cadence/workload").json()
    amy = next(p for p in loads if p["person"] == account_manager.username)
    assert amy["days"][0]["occurrences"] == 1 and len(amy["days"]) == 28
    work = caller.get(f"/cadence/workload/{account_manager.username}/2026-11-24").json()
    assert [w["kind"] for w in work] == ["occurrence"]
    handed = caller.post(
        "/cadence/workload/reassign", {"kind": "occurrence", "id": work[0]["id"], "to": "cal_am"}
    )
    assert handed.status_code == 204
    refused = api_as(account_manager).post(
        "/cadence/workload/reassign", {"kind": "occurrence", "id": work[0]["id"], "to": "amy_am"}
    )
    assert refused.status_code == 403


def test_kinds_and_templates_are_for_administrators(clock, api_as, administrator, account_manager):
    kind = {"code": "site-visit", "label": "Site visit", "channel": "meeting"}
    assert api_as(account_manager).post("/cadence/kinds", kind).status_code == 403
    assert api_as(administrator).post("/cadence/kinds", kind).status_code == 201
    template = {
        "name": "Starter",
        "items": [{"kind": "site-visit", "rrule": "FREQ=YEARLY"}, {"kind": "call", "rrule": "BAD"}],
    }
    answer = api_as(administrator).post("/cadence/templates", template)
    assert answer.status_code == 422 and "items[1].rrule" in answer.json()["errors"]
    template["items"] = template["items"][:1]
    assert api_as(administrator).post("/cadence/templates", template).status_code == 201
    assert [t["name"] for t in api_as(account_manager).get("/cadence/templates").json()] == [
        "Starter"
    ]
