"""Change requests through the API: raising and changing them, the retention call, who
submits, approvals decided through the engine's task endpoints, the effective date,
offboarding, the planner, the monthly view, the reports, and the reasons.

The people: Amy (account manager of Harbor Dental, North), Rita (retention team), Jules
(approver), Dora (department manager), Fin (finance), Acc (accounting), Pat (partner
team), Sid (service agent, North) and Sam (account manager, South).
"""

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from retainops.changes.admin_services import save_route
from retainops.changes.models import ApprovalRoute, ChangeReason
from retainops.clients.choices import ClientStatus
from retainops.clients.models import Client
from retainops.core.models import Role, User
from retainops.core.testing import ApiCaller
from retainops.messaging.models import Message
from retainops.playbooks.choices import RunState
from retainops.playbooks.models import Playbook
from retainops.playbooks.services import publish_playbook

from .conftest import EFFECTIVE, LIBRARY, START, approval_only, one_approval

pytestmark = pytest.mark.usefixtures("approval_playbook", "lists")


def _body(client: Client, kind: str = "cancellation", **fields: Any) -> dict[str, Any]:
    return {
        "client": client.pk,
        "kind": kind,
        "reason": "budget-cut",
        "escalation": "team_lead",
        "effective_date": EFFECTIVE.isoformat(),
        "notes": "Client cuts its budget in the new year.",
        **fields,
    }


def _raised(caller: ApiCaller, client: Client, kind: str = "cancellation", **fields: Any) -> int:
    response = caller.post("/change-requests", _body(client, kind, **fields))
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    return sorted(response.json()["errors"])


def _detail(caller: ApiCaller, request_id: int) -> dict[str, Any]:
    response = caller.get(f"/change-requests/{request_id}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def _task(caller: ApiCaller, request_id: int, step_key: str) -> dict[str, Any]:
    """The step's task in the request's latest run."""
    run = _detail(caller, request_id)["approval_runs"][-1]
    return next(task for task in run["tasks"] if task["step_key"] == step_key)


def _submit(caller: ApiCaller, request_id: int) -> dict[str, Any]:
    response = caller.post(f"/change-requests/{request_id}/submit", {})
    assert response.status_code == 200, response.content
    return dict(response.json())


def _decide(caller: ApiCaller, task_id: int, decision: str = "approved", comment: str = "") -> Any:
    return caller.post(f"/tasks/{task_id}/decide", {"decision": decision, "comment": comment})


def _approve_all(reader: ApiCaller, request_id: int, approver: User, manager: User) -> None:
    for step_key, by in (("first_approval", approver), ("second_approval", manager)):
        response = _decide(ApiCaller(by), _task(reader, request_id, step_key)["id"])
        assert response.status_code == 200, response.content


def _approve_and_process(
    amy: ApiCaller, request_id: int, approver: User, manager: User, accountant: User
) -> None:
    _submit(amy, request_id)
    _approve_all(amy, request_id, approver, manager)
    process = _task(amy, request_id, "process")["id"]
    response = ApiCaller(accountant).post(f"/tasks/{process}/complete", {"note": ""})
    assert response.status_code == 200, response.content


# Raising and reading --------------------------------------------------------------------------


def test_amy_raises_a_request_and_reads_it_back(harbor: Client, account_manager: User) -> None:
    amy = ApiCaller(account_manager)

    response = amy.post("/change-requests", _body(harbor, "pause", reason_text="Slow winter"))

    assert response.status_code == 201, response.content
    raised = response.json()
    assert raised["client"] == {"id": harbor.pk, "name": "Harbor Dental"}
    assert (raised["kind"], raised["status"], raised["escalation"]) == (
        "pause",
        "draft",
        "team_lead",
    )
    assert raised["reason"] == {"code": "budget-cut", "label": "Reducing the marketing budget"}
    assert (raised["reason_text"], raised["effective_date"]) == ("Slow winter", "2026-12-31")
    assert (raised["raised_by"], raised["mrr_before"]) == ("amy_am", "3000.00")
    assert raised["lines"] == raised["save_attempts"] == raised["removals"] == []
    assert raised["approval_runs"] == []
    assert _detail(amy, raised["id"]) == raised
    listed = amy.get("/change-requests").json()
    assert (listed["count"], listed["items"][0]["id"]) == (1, raised["id"])


def test_a_service_agent_may_not_raise_and_another_unit_sees_nothing(
    harbor: Client, account_manager: User, service_agent: User, south_account_manager: User
) -> None:
    request_id = _raised(ApiCaller(account_manager), harbor)
    sam = ApiCaller(south_account_manager)

    assert ApiCaller(service_agent).post("/change-requests", _body(harbor)).status_code == 403
    assert sam.post("/change-requests", _body(harbor)).status_code == 404
    assert sam.get(f"/change-requests/{request_id}").status_code == 404
    assert sam.post(f"/change-requests/{request_id}/submit", {}).status_code == 404
    assert sam.get("/change-requests").json()["count"] == 0


def test_an_unknown_reason_service_or_kind_is_named(harbor: Client, account_manager: User) -> None:
    amy = ApiCaller(account_manager)
    lines = [
        {"service": "seo", "action": "remove"},
        {"service": "skywriting", "action": "add", "monthly_budget": "100.00"},
    ]

    assert _errors(amy.post("/change-requests", _body(harbor, reason="bored"))) == ["reason"]
    unknown_service = amy.post("/change-requests", _body(harbor, "contract_change", lines=lines))
    assert _errors(unknown_service) == ["lines[1].service"]
    assert _errors(amy.post("/change-requests", _body(harbor, "refund"))) == ["kind"]
    assert amy.get("/change-requests").json()["count"] == 0


def test_a_contract_change_names_its_lines(harbor: Client, account_manager: User) -> None:
    amy = ApiCaller(account_manager)
    lines = [
        {"service": "targeted-display", "action": "budget", "monthly_budget": "1200.00"},
        {"service": "seo", "action": "remove", "monthly_budget": "50.00"},
    ]

    assert _errors(amy.post("/change-requests", _body(harbor, "contract_change"))) == ["lines"]
    request_id = _raised(amy, harbor, "contract_change", lines=lines)

    shown = [
        (x["service"], x["action"], x["monthly_budget"]) for x in _detail(amy, request_id)["lines"]
    ]
    assert shown == [("seo", "remove", None), ("targeted-display", "budget", "1200.00")]


def test_requests_are_listed_with_filters(
    harbor: Client, account_manager: User, north: Any
) -> None:
    amy = ApiCaller(account_manager)
    cancellation = _raised(amy, harbor, notes="Moving to a rival agency")
    pause = _raised(amy, harbor, "pause", effective_date="2027-02-01")
    _submit(amy, pause)

    def ids(**params: Any) -> list[int]:
        response = amy.get("/change-requests", **params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids(kind="pause") == [pause]
    assert ids(status="draft") == [cancellation]
    assert ids(search="rival") == [cancellation]
    assert ids(effective_from="2027-01-01") == [pause]
    assert ids(effective_to="2027-01-01") == [cancellation]
    assert sorted(ids(unit=north.pk, client=harbor.pk)) == sorted([cancellation, pause])
    assert ids(client=harbor.pk + 1000) == []
    assert _errors(amy.get("/change-requests", status="lost")) == ["status"]


def test_a_draft_changes_and_a_submitted_request_does_not(
    harbor: Client, account_manager: User
) -> None:
    amy = ApiCaller(account_manager)
    request_id = _raised(
        amy, harbor, "contract_change", lines=[{"service": "seo", "action": "remove"}]
    )
    lines = [{"service": "ott", "action": "add", "monthly_budget": "800.00"}]

    response = amy.patch(
        f"/change-requests/{request_id}",
        {
            "notes": "Adds OTT instead",
            "credit_amount": "250.00",
            "reason": "poor-results",
            "lines": lines,
        },
    )

    assert response.status_code == 200, response.content
    changed = response.json()
    assert (changed["notes"], changed["credit_amount"]) == ("Adds OTT instead", "250.00")
    assert changed["reason"]["code"] == "poor-results"
    assert [x["service"] for x in changed["lines"]] == ["ott"]
    assert changed["effective_date"] == "2026-12-31"
    patch = f"/change-requests/{request_id}"
    assert _errors(amy.patch(patch, {"effective_date": None})) == ["effective_date"]
    assert _errors(amy.patch(patch, {"reason": "bored"})) == ["reason"]
    _submit(amy, request_id)
    assert _errors(amy.patch(patch, {"notes": "Too late"})) == ["status"]
    assert _detail(amy, request_id)["notes"] == "Adds OTT instead"


# The retention call and who submits ------------------------------------------------------------


def test_after_a_retention_call_only_the_retention_team_submits(
    harbor: Client, account_manager: User, retention_rep: User
) -> None:
    amy, rita = ApiCaller(account_manager), ApiCaller(retention_rep)
    request_id = _raised(amy, harbor, escalation="retention_team")

    call = rita.post(
        f"/change-requests/{request_id}/save-attempts", {"outcome": "lost", "notes": "Firm"}
    )

    assert call.status_code == 201, call.content
    assert (call.json()["by"], call.json()["outcome"]) == ("rita_retention", "lost")
    assert amy.post(f"/change-requests/{request_id}/submit", {}).status_code == 403
    submitted = _submit(rita, request_id)
    assert (submitted["status"], submitted["submitted_by"]) == ("submitted", "rita_retention")
    assert [s["notes"] for s in submitted["save_attempts"]] == ["Firm"]
    [run] = submitted["approval_runs"]
    assert (run["playbook"], run["state"]) == ("change-approval", "running")
    assert _task(amy, request_id, "first_approval")["state"] == "open"


def test_the_retention_team_hands_a_request_to_the_account_manager(
    harbor: Client, account_manager: User, retention_rep: User
) -> None:
    amy, rita = ApiCaller(account_manager), ApiCaller(retention_rep)
    request_id = _raised(rita, harbor, escalation="retention_team")
    path = f"/change-requests/{request_id}/hand-over"

    assert amy.post(path, {"to": "amy_am"}).status_code == 403
    assert _errors(rita.post(path, {"to": "nobody"})) == ["to"]
    assert _errors(rita.post(path, {"to": "rita_retention"})) == ["to"]
    handed = rita.post(path, {"to": "amy_am"})

    assert handed.status_code == 200, handed.content
    assert handed.json()["assigned_to"] == "amy_am"
    assert _submit(amy, request_id)["submitted_by"] == "amy_am"


def test_a_save_attempt_needs_a_known_outcome(harbor: Client, retention_rep: User) -> None:
    rita = ApiCaller(retention_rep)
    request_id = _raised(rita, harbor, escalation="retention_team")

    response = rita.post(f"/change-requests/{request_id}/save-attempts", {"outcome": "maybe"})

    assert _errors(response) == ["outcome"]


def test_a_save_attempt_needs_an_outcome_and_an_undecided_request(
    harbor: Client,
    account_manager: User,
    retention_rep: User,
    approver: User,
    department_manager: User,
) -> None:
    amy, rita = ApiCaller(account_manager), ApiCaller(retention_rep)
    request_id = _raised(amy, harbor)
    path = f"/change-requests/{request_id}/save-attempts"
    assert _errors(rita.post(path, {"notes": "No outcome given"})) == ["outcome"]

    _submit(amy, request_id)
    _approve_all(amy, request_id, approver, department_manager)
    refused = rita.post(path, {"outcome": "saved"})
    handed = rita.post(f"/change-requests/{request_id}/hand-over", {"to": "amy_am"})
    withdrawn = amy.post(f"/change-requests/{request_id}/withdraw", {"reason": "Stayed"})

    assert _errors(refused) == _errors(handed) == _errors(withdrawn) == ["status"]
    assert "no longer recorded" in refused.json()["errors"]["status"][0]
    detail = _detail(amy, request_id)
    assert (detail["status"], detail["save_attempts"]) == ("approved", [])


def test_a_call_made_earlier_is_recorded_at_its_time_and_never_in_the_future(
    harbor: Client, retention_rep: User, clock: time_machine.Traveller
) -> None:
    rita = ApiCaller(retention_rep)
    request_id = _raised(rita, harbor, escalation="retention_team")  # raised at START
    clock.move_to(START + timedelta(hours=6))
    path = f"/change-requests/{request_id}/save-attempts"

    earlier = rita.post(path, {"outcome": "saved", "at": "2026-11-24T10:30:00+00:00"})
    now = rita.post(path, {"outcome": "paused"})
    future = rita.post(path, {"outcome": "lost", "at": "2026-11-24T16:00:00+00:00"})
    before = rita.post(path, {"outcome": "lost", "at": "2026-11-23T17:00:00+00:00"})

    assert earlier.status_code == 201, earlier.content
    assert earlier.json()["at"].startswith("2026-11-24T10:30:00")
    assert now.json()["at"].startswith("2026-11-24T15:00:00")
    assert _errors(future) == _errors(before) == ["at"]
    assert "raised at 2026-11-24 09:00" in before.json()["errors"]["at"][0]
    saves = _detail(rita, request_id)["save_attempts"]
    assert [s["outcome"] for s in saves] == ["paused", "saved"]


# Approvals, through the engine's task endpoints ------------------------------------------------


def test_the_requester_cannot_decide_their_own_approval(
    harbor: Client, account_manager: User, approver: User
) -> None:
    account_manager.roles.add(Role.objects.get(code="approver"))  # Amy approves in North too
    amy = ApiCaller(account_manager)
    request_id = _raised(amy, harbor)
    _submit(amy, request_id)
    first = _task(amy, request_id, "first_approval")
    assert first["owner"] == "queue: approver"

    refused = _decide(amy, first["id"])
    assert refused.status_code == 403
    assert "You asked for this" in refused.json()["detail"]
    assert _task(amy, request_id, "first_approval")["state"] == "open"
    assert _decide(ApiCaller(approver), first["id"]).status_code == 200
    decided = _task(amy, request_id, "first_approval")
    assert (decided["state"], decided["decision"], decided["closed_by"]) == (
        "done",
        "approved",
        "jules_approver",
    )
    assert _task(amy, request_id, "second_approval")["state"] == "open"


def test_finance_approves_only_when_a_credit_is_issued(
    harbor: Client,
    account_manager: User,
    approver: User,
    department_manager: User,
    finance: User,
) -> None:
    amy = ApiCaller(account_manager)
    without = _raised(amy, harbor)
    with_credit = _raised(amy, harbor, credit_amount="750.00")
    for request_id in (without, with_credit):
        _submit(amy, request_id)
        _approve_all(amy, request_id, approver, department_manager)

    assert _task(amy, without, "finance_approval")["state"] == "skipped"
    assert _detail(amy, without)["status"] == "approved"
    finance_step = _task(amy, with_credit, "finance_approval")
    assert (finance_step["state"], finance_step["owner"]) == ("open", "queue: finance")
    assert _detail(amy, with_credit)["status"] == "submitted"
    assert _decide(ApiCaller(finance), finance_step["id"]).status_code == 200
    assert _detail(amy, with_credit)["status"] == "approved"


def test_a_rejection_returns_the_request_with_the_reason(
    harbor: Client, account_manager: User, approver: User
) -> None:
    amy, jules = ApiCaller(account_manager), ApiCaller(approver)
    request_id = _raised(amy, harbor)
    _submit(amy, request_id)
    first = _task(amy, request_id, "first_approval")["id"]

    assert _errors(_decide(jules, first, "rejected")) == ["comment"]
    assert _decide(jules, first, "rejected", "Under contract until June").status_code == 200

    returned = _detail(amy, request_id)
    assert returned["status"] == "returned"
    assert returned["returned_reason"].endswith("Under contract until June")
    [run] = returned["approval_runs"]
    refused = next(t for t in run["tasks"] if t["step_key"] == "first_approval")
    assert (run["state"], refused["decision"], refused["comment"]) == (
        "rejected",
        "rejected",
        "Under contract until June",
    )
    moved = amy.patch(f"/change-requests/{request_id}", {"effective_date": "2027-06-30"})
    assert moved.status_code == 200, moved.content
    resubmitted = _submit(amy, request_id)
    assert [r["state"] for r in resubmitted["approval_runs"]] == ["rejected", "running"]


def test_an_approved_request_is_announced_to_the_change_notice_list(
    harbor: Client,
    account_manager: User,
    approver: User,
    department_manager: User,
    ops_lead: User,
) -> None:
    amy = ApiCaller(account_manager)
    request_id = _raised(amy, harbor)
    _submit(amy, request_id)
    _approve_all(amy, request_id, approver, department_manager)

    approved = _detail(amy, request_id)
    assert approved["status"] == "approved"
    assert approved["approved_at"] is not None
    [notice] = Message.objects.filter(subject__startswith="Approved:")
    addresses = sorted(r.address for r in notice.recipients.all())
    assert addresses == sorted([ops_lead.email, department_manager.email])
    assert "Client cuts its budget" in notice.body_text
    assert Client.objects.get(pk=harbor.pk).status == ClientStatus.CANCELLING


# The effective date and offboarding ------------------------------------------------------------


def test_on_its_effective_date_a_cancellation_takes_effect_and_is_offboarded(
    harbor: Client,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    partner: User,
    south_account_manager: User,
    clock: time_machine.Traveller,
) -> None:
    amy = ApiCaller(account_manager)
    request_id = _raised(amy, harbor)
    _approve_and_process(amy, request_id, approver, department_manager, accountant)
    assert _detail(amy, request_id)["status"] == "processed"

    clock.move_to(START + timedelta(days=37))  # 2026-12-31 09:00, past the effective date
    call_command("tick", stdout=io.StringIO())

    # Tokens issued before the clock moved have expired: everyone asks for a new one.
    amy, pat, dora = ApiCaller(account_manager), ApiCaller(partner), ApiCaller(department_manager)
    effective = _detail(amy, request_id)
    assert (effective["status"], effective["mrr_after"]) == ("effective", "0.00")
    assert Client.objects.get(pk=harbor.pk).status == ClientStatus.CANCELLED
    removals = effective["removals"]
    assert [(r["tool"], r["state"]) for r in removals] == [
        ("ad-platform", "pending"),
        ("project-board", "pending"),
    ]
    first = removals[0]["id"]
    assert (
        ApiCaller(south_account_manager).post(f"/removals/{first}/removed", {}).status_code == 404
    )
    assert pat.post(f"/removals/{first}/verified", {}).status_code == 403
    assert amy.post(f"/removals/{first}/removed", {}).status_code == 403
    for removal in removals:
        marked = pat.post(f"/removals/{removal['id']}/removed", {})
        assert marked.status_code == 200, marked.content
        assert (marked.json()["state"], marked.json()["removed_by"]) == ("removed", "pat_partner")
    assert _errors(pat.post(f"/removals/{first}/removed", {})) == ["state"]
    assert _task(amy, request_id, "remove_from_tools")["state"] == "done"
    for removal in removals:
        verified = dora.post(f"/removals/{removal['id']}/verified", {})
        assert verified.status_code == 200, verified.content
        assert verified.json()["verified_by"] == "dora_dm"
    assert _task(amy, request_id, "verify_removals")["state"] == "done"


def test_a_pause_takes_effect_without_offboarding(
    harbor: Client,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    clock: time_machine.Traveller,
) -> None:
    amy = ApiCaller(account_manager)
    request_id = _raised(amy, harbor, "pause", effective_date=date(2026, 11, 24).isoformat())

    _approve_and_process(amy, request_id, approver, department_manager, accountant)

    paused = _detail(amy, request_id)
    assert (paused["status"], paused["removals"]) == ("effective", [])
    assert _task(amy, request_id, "remove_from_tools")["state"] == "skipped"
    assert Client.objects.get(pk=harbor.pk).status == ClientStatus.PAUSED


def test_withdrawing_needs_a_reason_and_stops_the_run(
    harbor: Client, account_manager: User
) -> None:
    amy = ApiCaller(account_manager)
    request_id = _raised(amy, harbor)
    _submit(amy, request_id)
    path = f"/change-requests/{request_id}/withdraw"

    assert _errors(amy.post(path, {"reason": "  "})) == ["reason"]
    assert _errors(amy.post(path, {})) == ["reason"]
    response = amy.post(path, {"reason": "Saved by Amy"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert [r["state"] for r in response.json()["approval_runs"]] == [RunState.CANCELLED]
    assert _errors(amy.post(path, {"reason": "Again"})) == ["status"]


# The planner, the monthly view, the reports, the reasons ----------------------------------------


def test_the_planner_lists_pauses_and_cancellations_and_exports_them(
    harbor: Client, account_manager: User, south_account_manager: User
) -> None:
    amy = ApiCaller(account_manager)
    cancellation = _raised(amy, harbor, effective_date="2027-01-31")
    pause = _raised(amy, harbor, "pause", effective_date="2027-01-15")
    _raised(amy, harbor, "retention")
    for request_id in (cancellation, pause):
        _submit(amy, request_id)

    planned = amy.get("/change-requests/planner")
    exported = amy.get("/change-requests/planner", format="csv")

    assert planned.status_code == 200, planned.content
    assert [r["id"] for r in planned.json()] == [pause, cancellation]
    assert [r["id"] for r in amy.get("/change-requests/planner", kind="pause").json()] == [pause]
    assert ApiCaller(south_account_manager).get("/change-requests/planner").json() == []
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    header, first, second = csv.reader(io.StringIO(exported.content.decode()))
    assert header[:5] == ["client", "business_unit", "kind", "status", "effective_date"]
    assert first[:5] == ["Harbor Dental", "North Media", "Pause", "In approval", "2027-01-15"]
    assert second[2:5] == ["Cancellation", "In approval", "2027-01-31"]
    assert _errors(amy.get("/change-requests/planner", format="xlsx")) == ["format"]


def test_the_monthly_view_groups_approved_contract_changes(
    harbor: Client, account_manager: User, approver: User, department_manager: User
) -> None:
    amy = ApiCaller(account_manager)
    lines = [{"service": "seo", "action": "remove"}]
    approved = _raised(amy, harbor, "contract_change", lines=lines, effective_date="2027-02-10")
    _raised(amy, harbor, "contract_change", lines=lines, effective_date="2027-03-10")
    _submit(amy, approved)
    _approve_all(amy, approved, approver, department_manager)

    response = amy.get("/change-requests/monthly")

    assert response.status_code == 200, response.content
    [month] = response.json()
    assert month["month"] == "2027-02-01"
    assert [r["id"] for r in month["requests"]] == [approved]
    assert month["requests"][0]["lines"][0]["action"] == "remove"


def test_reports_give_the_save_rate_and_requests_by_kind_and_reason(
    harbor: Client, account_manager: User, retention_rep: User
) -> None:
    rita = ApiCaller(retention_rep)
    saved = _raised(rita, harbor, "retention", escalation="retention_team")
    lost = _raised(rita, harbor, escalation="retention_team")
    for request_id, outcome in ((saved, "saved"), (lost, "lost")):
        response = rita.post(f"/change-requests/{request_id}/save-attempts", {"outcome": outcome})
        assert response.status_code == 201, response.content

    report = ApiCaller(account_manager).get("/change-requests/reports")
    later = ApiCaller(account_manager).get("/change-requests/reports", **{"from": "2099-01-01"})

    assert report.status_code == 200, report.content
    body = report.json()
    assert body["save_rate"] == {"requests": 2, "saved": 1, "attempts": 2, "rate": 0.5}
    assert body["save_rate_by_reason"]["Reducing the marketing budget"]["rate"] == 0.5
    assert body["revenue_saved"] == "3000.00"
    kinds = {(r["kind"], r["reason"], r["count"]) for r in body["requests_by_kind_and_reason"]}
    assert kinds == {
        ("retention", "Reducing the marketing budget", 1),
        ("cancellation", "Reducing the marketing budget", 1),
    }
    assert later.json()["save_rate"] == {"requests": 0, "saved": 0, "attempts": 0, "rate": None}
    assert _errors(ApiCaller(account_manager).get("/change-requests/reports", to="soon")) == ["to"]


def test_only_active_reasons_are_offered(account_manager: User) -> None:
    ChangeReason.objects.filter(code="other").update(is_active=False)

    reasons = ApiCaller(account_manager).get("/change-reasons").json()

    codes = [r["code"] for r in reasons]
    assert "budget-cut" in codes
    assert "other" not in codes


# Configuration: reasons and approval routes ------------------------------------------------------


def test_an_administrator_adds_changes_and_retires_a_reason(
    administrator: User, harbor: Client, account_manager: User
) -> None:
    ada = ApiCaller(administrator)

    created = ada.post("/change-reasons", {"code": "merger", "label": "  Merged with another "})
    assert created.status_code == 201, created.content
    assert created.json() == {"code": "merger", "label": "Merged with another", "is_active": True}
    changed = ada.patch("/change-reasons/merger", {"label": "Merged with another firm"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["label"] == "Merged with another firm"
    offered = [r["code"] for r in ApiCaller(account_manager).get("/change-reasons").json()]
    assert "merger" in offered

    retired = ada.post("/change-reasons/merger/retire", {})

    assert retired.status_code == 200, retired.content
    assert retired.json()["is_active"] is False
    amy = ApiCaller(account_manager)
    assert "merger" not in [r["code"] for r in amy.get("/change-reasons").json()]
    every = {r["code"]: r["is_active"] for r in amy.get("/change-reasons", retired="true").json()}
    assert every["merger"] is False and every["budget-cut"] is True
    assert _errors(amy.post("/change-requests", _body(harbor, reason="merger"))) == ["reason"]
    assert ChangeReason.objects.get(code="merger").history.first().history_change_reason == (
        "retired"
    )


def test_a_reason_is_checked_as_on_the_page_and_nothing_is_written(administrator: User) -> None:
    ada = ApiCaller(administrator)
    before = list(ChangeReason.objects.values_list("code", "label", "is_active"))

    assert _errors(ada.post("/change-reasons", {"code": "budget-cut", "label": "Again"})) == [
        "code"
    ]
    assert _errors(ada.post("/change-reasons", {"code": "not a code", "label": " "})) == [
        "code",
        "label",
    ]
    assert _errors(ada.post("/change-reasons", {"code": "merger"})) == ["label"]
    assert _errors(ada.patch("/change-reasons/seasonal", {"code": "closing"})) == ["code"]
    assert _errors(ada.patch("/change-reasons/seasonal", {"label": None})) == ["label"]
    assert _errors(ada.patch("/change-reasons/seasonal", {"label": "x" * 161})) == ["label"]
    assert ada.patch("/change-reasons/bored", {"label": "Bored"}).status_code == 404
    assert ada.post("/change-reasons/bored/retire", {}).status_code == 404

    assert list(ChangeReason.objects.values_list("code", "label", "is_active")) == before


@pytest.fixture
def north_pauses(ops_lead: User) -> str:
    """A small approval chain for North's pauses, published."""
    return publish_playbook(by=ops_lead, source=one_approval("north-pauses")).playbook.key


def test_an_administrator_lists_adds_and_deletes_approval_routes(
    administrator: User, north_pauses: str, harbor: Client, account_manager: User
) -> None:
    ada = ApiCaller(administrator)

    north = ada.post(
        "/approval-routes", {"business_unit": "north", "kind": "pause", "playbook": north_pauses}
    )
    everywhere = ada.post("/approval-routes", {"playbook": "change-approval"})

    assert north.status_code == 201, north.content
    route_id = north.json()["id"]
    assert north.json() == {
        "id": route_id,
        "business_unit": "north",
        "kind": "pause",
        "playbook": "north-pauses",
    }
    assert everywhere.status_code == 201, everywhere.content
    assert (everywhere.json()["business_unit"], everywhere.json()["kind"]) == (None, None)
    listed = ada.get("/approval-routes")
    assert listed.status_code == 200, listed.content
    assert sorted(r["id"] for r in listed.json()) == sorted([route_id, everywhere.json()["id"]])
    amy = ApiCaller(account_manager)
    pause = _raised(amy, harbor, "pause")
    assert [r["playbook"] for r in _submit(amy, pause)["approval_runs"]] == ["north-pauses"]

    deleted = ada.delete(f"/approval-routes/{route_id}")

    assert deleted.status_code == 204
    assert [r["id"] for r in ada.get("/approval-routes").json()] == [everywhere.json()["id"]]
    assert ada.delete(f"/approval-routes/{route_id}").status_code == 404
    another = _raised(amy, harbor, "pause")
    assert [r["playbook"] for r in _submit(amy, another)["approval_runs"]] == ["change-approval"]


def test_a_route_is_checked_as_on_the_page_and_nothing_is_written(
    administrator: User, north_pauses: str, ops_lead: User
) -> None:
    ada = ApiCaller(administrator)
    route = {"business_unit": "north", "kind": "pause", "playbook": north_pauses}
    assert ada.post("/approval-routes", route).status_code == 201
    handoff = publish_playbook(by=ops_lead, source=(LIBRARY / "sales-handoff.yaml").read_text())

    assert _errors(ada.post("/approval-routes", route)) == ["kind"]
    unknown = {"business_unit": "east", "kind": "pause", "playbook": "nothing-here"}
    assert _errors(ada.post("/approval-routes", unknown)) == ["business_unit", "playbook"]
    on_clients = {"business_unit": "north", "playbook": handoff.playbook.key}
    assert _errors(ada.post("/approval-routes", on_clients)) == ["playbook"]
    publish_playbook(by=ops_lead, source=approval_only("stops-at-approval"))
    stops = ada.post("/approval-routes", {"kind": "pause", "playbook": "stops-at-approval"})
    assert _errors(stops) == ["playbook"]
    assert "accounting's processing" in stops.json()["errors"]["playbook"][0]
    assert _errors(ada.post("/approval-routes", {**route, "kind": "refund"})) == ["kind"]

    assert ApprovalRoute.objects.count() == 1


def test_the_configuration_is_refused_to_an_account_manager(
    account_manager: User, north_pauses: str, ops_lead: User
) -> None:
    route = save_route(
        by=ops_lead,
        route=None,
        data={"playbook": Playbook.objects.get(key=north_pauses)},
    )
    amy = ApiCaller(account_manager)

    assert amy.post("/change-reasons", {"code": "merger", "label": "Merged"}).status_code == 403
    assert amy.patch("/change-reasons/seasonal", {"label": "Quiet"}).status_code == 403
    assert amy.post("/change-reasons/seasonal/retire", {}).status_code == 403
    assert amy.get("/approval-routes").status_code == 403
    new_route = {"business_unit": "north", "kind": "pause", "playbook": north_pauses}
    assert amy.post("/approval-routes", new_route).status_code == 403
    assert amy.delete(f"/approval-routes/{route.pk}").status_code == 403

    assert not ChangeReason.objects.filter(code="merger").exists()
    seasonal = ChangeReason.objects.get(code="seasonal")
    assert (seasonal.label, seasonal.is_active) == (
        "Seasonal business: pausing for the quiet months",
        True,
    )
    assert list(ApprovalRoute.objects.all()) == [route]


# Authentication and the document ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/change-requests"),
        ("post", "/change-requests"),
        ("get", "/change-requests/1"),
        ("patch", "/change-requests/1"),
        ("post", "/change-requests/1/save-attempts"),
        ("post", "/change-requests/1/hand-over"),
        ("post", "/change-requests/1/submit"),
        ("post", "/change-requests/1/withdraw"),
        ("post", "/removals/1/removed"),
        ("post", "/removals/1/verified"),
        ("get", "/change-requests/planner"),
        ("get", "/change-requests/monthly"),
        ("get", "/change-requests/reports"),
        ("get", "/change-reasons"),
        ("post", "/change-reasons"),
        ("patch", "/change-reasons/seasonal"),
        ("post", "/change-reasons/seasonal/retire"),
        ("get", "/approval-routes"),
        ("post", "/approval-routes"),
        ("delete", "/approval-routes/1"),
    ],
)
def test_every_endpoint_needs_a_token(method: str, path: str) -> None:
    caller = ApiCaller(None)

    if method in ("get", "delete"):
        response = getattr(caller, method)(path)
    else:
        response = getattr(caller, method)(path, {})

    assert response.status_code == 401


def test_the_openapi_document_describes_change_requests(account_manager: User) -> None:
    document = ApiCaller(account_manager).get("/openapi.json").json()

    for path in (
        "/api/v1/change-requests",
        "/api/v1/change-requests/{request_id}",
        "/api/v1/change-requests/{request_id}/save-attempts",
        "/api/v1/change-requests/{request_id}/hand-over",
        "/api/v1/change-requests/{request_id}/submit",
        "/api/v1/change-requests/{request_id}/withdraw",
        "/api/v1/change-requests/planner",
        "/api/v1/change-requests/monthly",
        "/api/v1/change-requests/reports",
        "/api/v1/change-reasons",
        "/api/v1/change-reasons/{code}",
        "/api/v1/change-reasons/{code}/retire",
        "/api/v1/approval-routes",
        "/api/v1/approval-routes/{route_id}",
        "/api/v1/removals/{removal_id}/removed",
        "/api/v1/removals/{removal_id}/verified",
    ):
        assert path in document["paths"], path
    assert document["paths"]["/api/v1/change-requests"]["post"]["security"]
