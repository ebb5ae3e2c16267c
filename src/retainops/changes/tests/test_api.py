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

from retainops.changes.models import ChangeReason
from retainops.clients.choices import ClientStatus
from retainops.clients.models import Client
from retainops.core.models import User
from retainops.core.testing import ApiCaller
from retainops.messaging.models import Message
from retainops.playbooks.choices import RunState

from .conftest import EFFECTIVE, START

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


# Approvals, through the engine's task endpoints ------------------------------------------------


def test_the_requester_cannot_decide_their_own_approval(
    harbor: Client, account_manager: User, approver: User
) -> None:
    amy = ApiCaller(account_manager)
    request_id = _raised(amy, harbor)
    _submit(amy, request_id)
    first = _task(amy, request_id, "first_approval")

    assert _decide(amy, first["id"]).status_code == 403
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
    assert body["save_rate"] == {"attempts": 2, "saved": 1, "rate": 0.5}
    assert body["save_rate_by_reason"]["Reducing the marketing budget"]["rate"] == 0.5
    assert body["revenue_saved"] == "3000.00"
    kinds = {(r["kind"], r["reason"], r["count"]) for r in body["requests_by_kind_and_reason"]}
    assert kinds == {
        ("retention", "Reducing the marketing budget", 1),
        ("cancellation", "Reducing the marketing budget", 1),
    }
    assert later.json()["save_rate"] == {"attempts": 0, "saved": 0, "rate": None}
    assert _errors(ApiCaller(account_manager).get("/change-requests/reports", to="soon")) == ["to"]


def test_only_active_reasons_are_offered(account_manager: User) -> None:
    ChangeReason.objects.filter(code="other").update(is_active=False)

    reasons = ApiCaller(account_manager).get("/change-reasons").json()

    codes = [r["code"] for r in reasons]
    assert "budget-cut" in codes
    assert "other" not in codes


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
    ],
)
def test_every_endpoint_needs_a_token(method: str, path: str) -> None:
    caller = ApiCaller(None)

    response = caller.get(path) if method == "get" else getattr(caller, method)(path, {})

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
        "/api/v1/removals/{removal_id}/removed",
        "/api/v1/removals/{removal_id}/verified",
    ):
        assert path in document["paths"], path
    assert document["paths"]["/api/v1/change-requests"]["post"]["security"]
