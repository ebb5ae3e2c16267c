"""The process engine through the API: playbooks checked and published, runs started and
steered, tasks worked by the people they belong to, and a client's timeline.

The people: Otto (operations lead) publishes playbooks; Sol (sales rep), Amy (account
manager), Cleo (client success manager) and Tess (team lead) work Harbor Dental in North;
Sam works in South; Olive works in no unit; Sid answers the phones in North.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory
from retainops.core.models import User
from retainops.core.testing import ApiCaller
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Playbook, PlaybookVersion, Run, Task
from retainops.playbooks.tests.conftest import LIBRARY

HANDOFF = "sales-handoff"

BUDGET_INCREASE = """
key: budget-increase
name: Budget increase
steps:
  - key: proposal
    title: Write up the budget increase
    owner: role:account_manager
  - key: sign_off
    title: Approve the budget increase
    kind: approval
    owner: role:team_lead
    needs: [proposal]
  - key: apply
    title: Apply the new budget in the ad accounts
    owner: role:account_manager
    needs: [sign_off]
"""

SMALL = """
key: small
name: Small
anchors: [go_live]
steps:
  - key: first
    title: First
    owner: role:account_manager
    due: 1 day before go_live
  - key: second
    title: Second
    owner: role:account_manager
    needs: [first]
"""


def _start(caller: ApiCaller, client: Client, playbook: str = HANDOFF, **anchors: datetime) -> Any:
    body = {
        "playbook": playbook,
        "client": client.pk,
        "anchors": {name: at.isoformat() for name, at in anchors.items()},
    }
    return caller.post("/runs", body)


def _task_of(run_id: int, step_key: str) -> Task:
    return Task.objects.get(run_id=run_id, step_key=step_key)


def _titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [task["title"] for task in response.json()["items"]]


@pytest.fixture
def handoff_run(
    clock: Any, handoff: PlaybookVersion, harbor: Client, account_manager: User
) -> dict[str, Any]:
    """Amy starts the hand-off on Harbor Dental, sold yesterday at 13:00 (20 hours ago).
    The clock stands still first, so that the client's record is written at the same
    moment as the run, whatever today's date is."""
    response = _start(ApiCaller(account_manager), harbor, sold=timezone.now() - timedelta(hours=20))
    assert response.status_code == 201, response.content
    return response.json()


# Checking a playbook ---------------------------------------------------------------------


def test_anyone_signed_in_may_check_a_playbook_and_nothing_is_stored(service_agent: User) -> None:
    source = """
key: welcome
name: Welcome call
anchors: [sold]
steps:
  - key: call
    title: Call the client
    owner: role:account_manager
    due: 1 day after sold
"""
    response = ApiCaller(service_agent).post("/playbooks/validate", {"yaml": source})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["key"], body["name"], body["subject"], body["trigger"]) == (
        "welcome",
        "Welcome call",
        "client",
        "manual",
    )
    assert body["anchors"] == ["sold"]
    assert [(s["key"], s["kind"], s["due"]) for s in body["steps"]] == [
        ("call", "task", "1 day after sold")
    ]
    assert not Playbook.objects.exists()


@pytest.mark.parametrize(
    ("broken_steps", "step", "field", "words"),
    [
        (
            "  - {key: call, title: Call, owner: 'role:astronaut'}",
            "call",
            "owner",
            "unknown role 'astronaut'",
        ),
        (
            "  - {key: call, title: Call, owner: 'role:account_manager', needs: [write]}\n"
            "  - {key: write, title: Write, owner: 'role:account_manager', needs: [call]}",
            "write",
            "needs",
            "dependency cycle",
        ),
        (
            "  - {key: call, title: Call, owner: 'role:account_manager', due: 1 day after go_live}",
            "call",
            "due",
            "unknown anchor 'go_live'",
        ),
        (
            "  - {key: call, title: Call, owner: 'role:account_manager', when: 'mrr >'}",
            "call",
            "when",
            "does not parse",
        ),
        (
            "  - {key: call, title: Call, owner: 'role:account_manager', colour: red}",
            "call",
            "colour",
            "unknown field 'colour'",
        ),
    ],
    ids=["unknown-role", "cycle", "unknown-anchor", "bad-condition", "unknown-field"],
)
def test_a_broken_playbook_is_answered_with_the_step_at_fault(
    account_manager: User, broken_steps: str, step: str, field: str, words: str
) -> None:
    source = f"key: broken\nname: Broken\nsteps:\n{broken_steps}\n"

    response = ApiCaller(account_manager).post("/playbooks/validate", {"yaml": source})

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "The playbook is not valid."
    assert any(
        e["step"] == step and e["field"] == field and words in e["message"] for e in body["errors"]
    ), body["errors"]


def test_text_that_is_not_yaml_is_answered_with_the_line(account_manager: User) -> None:
    response = ApiCaller(account_manager).post(
        "/playbooks/validate", {"yaml": "key: x\nsteps: [unclosed\n"}
    )

    assert response.status_code == 400
    assert "line" in response.json()["errors"][0]["message"]


# Publishing -----------------------------------------------------------------------------


def test_otto_publishes_a_playbook_and_everyone_reads_it(
    ops_lead: User, account_manager: User
) -> None:
    published = ApiCaller(ops_lead).post("/playbooks", {"yaml": SMALL})

    assert published.status_code == 201, published.content
    assert published.json()["number"] == 1
    assert published.json()["published_by"] == "otto_ops"
    assert published.json()["definition"]["anchors"] == ["go_live"]

    amy = ApiCaller(account_manager)
    listed = amy.get("/playbooks").json()
    assert listed["count"] == 1
    assert listed["items"][0] == {
        "key": "small",
        "name": "Small",
        "subject": "client",
        "trigger": "manual",
        "is_active": True,
        "current_version": 1,
    }
    detail = amy.get("/playbooks/small").json()
    assert [s["key"] for s in detail["definition"]["steps"]] == ["first", "second"]
    assert [(v["number"], v["published_by"]) for v in detail["versions"]] == [(1, "otto_ops")]
    version = amy.get("/playbooks/small/versions/1").json()
    assert version["source"] == SMALL
    assert amy.get("/playbooks/small/versions/2").status_code == 404
    assert amy.get("/playbooks/nothing-here").status_code == 404


def test_an_account_manager_may_not_publish(account_manager: User) -> None:
    response = ApiCaller(account_manager).post("/playbooks", {"yaml": SMALL})

    assert response.status_code == 403
    assert not Playbook.objects.exists()


def test_publishing_a_broken_playbook_names_the_problems_and_stores_nothing(
    ops_lead: User,
) -> None:
    broken = SMALL.replace("role:account_manager", "role:astronaut")

    response = ApiCaller(ops_lead).post("/playbooks", {"yaml": broken})

    assert response.status_code == 400
    assert {(e["step"], e["field"]) for e in response.json()["errors"]} == {
        ("first", "owner"),
        ("second", "owner"),
    }
    assert not Playbook.objects.exists()
    assert not PlaybookVersion.objects.exists()


def test_a_new_version_leaves_a_run_under_way_on_its_own_steps(
    handoff_run: dict[str, Any], ops_lead: User, account_manager: User, harbor: Client
) -> None:
    changed = (
        (LIBRARY / "sales-handoff.yaml")
        .read_text()
        .replace("First contact with the client", "Call the client within a day")
    )
    assert ApiCaller(ops_lead).post("/playbooks", {"yaml": changed}).status_code == 201

    amy = ApiCaller(account_manager)
    run = amy.get(f"/runs/{handoff_run['id']}").json()
    assert run["version"] == 1
    assert "First contact with the client" in [t["title"] for t in run["tasks"]]
    assert "Call the client within a day" not in [t["title"] for t in run["tasks"]]
    fresh = _start(amy, harbor, sold=timezone.now()).json()
    assert fresh["version"] == 2
    assert "Call the client within a day" in [t["title"] for t in fresh["tasks"]]


def test_a_retired_playbook_starts_no_runs_until_restored(
    handoff: PlaybookVersion, ops_lead: User, account_manager: User, harbor: Client
) -> None:
    otto, amy = ApiCaller(ops_lead), ApiCaller(account_manager)
    assert amy.post(f"/playbooks/{HANDOFF}/retire", {}).status_code == 403

    retired = otto.post(f"/playbooks/{HANDOFF}/retire", {})

    assert retired.json()["is_active"] is False
    refused = _start(amy, harbor)
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["playbook"]
    assert otto.post(f"/playbooks/{HANDOFF}/restore", {}).json()["is_active"] is True
    assert _start(amy, harbor).status_code == 201


# Runs -----------------------------------------------------------------------------------


def test_amy_starts_the_handoff_and_its_first_steps_open(
    handoff: PlaybookVersion, harbor: Client, account_manager: User, clock: Any
) -> None:
    sold = timezone.now()

    response = _start(ApiCaller(account_manager), harbor, sold=sold)

    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["playbook"], run["version"], run["state"]) == (HANDOFF, 1, "running")
    assert run["client"] == {"id": harbor.pk, "name": "Harbor Dental"}
    assert run["started_by"] == "amy_am"
    assert datetime.fromisoformat(run["anchors"]["sold"]) == sold
    states = {t["step_key"]: (t["state"], t["owner"]) for t in run["tasks"]}
    assert states["handoff_notes"][0] == "open"
    assert states["first_contact"][0] == "open"
    assert states["tell_sales"] == ("waiting", "the engine")
    assert Run.objects.get().requested_by == account_manager


def test_sam_cannot_start_a_run_on_another_units_client(
    handoff: PlaybookVersion, harbor: Client, south_account_manager: User
) -> None:
    response = _start(ApiCaller(south_account_manager), harbor, sold=timezone.now())

    assert response.status_code == 404
    assert not Run.objects.exists()


def test_a_service_agent_may_not_start_a_run(
    handoff: PlaybookVersion, harbor: Client, service_agent: User
) -> None:
    response = _start(ApiCaller(service_agent), harbor, sold=timezone.now())

    assert response.status_code == 403
    assert not Run.objects.exists()


def test_an_anchor_time_without_its_offset_is_refused(
    handoff: PlaybookVersion, harbor: Client, account_manager: User
) -> None:
    body = {"playbook": HANDOFF, "client": harbor.pk, "anchors": {"sold": "2026-11-24T09:00:00"}}

    response = ApiCaller(account_manager).post("/runs", body)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["anchors.sold"]
    assert not Run.objects.exists()


def test_an_undeclared_anchor_or_unknown_playbook_names_the_field(
    handoff: PlaybookVersion, harbor: Client, account_manager: User
) -> None:
    amy = ApiCaller(account_manager)

    undeclared = _start(amy, harbor, go_live=timezone.now())
    unknown = _start(amy, harbor, playbook="no-such-playbook")

    assert undeclared.status_code == 422
    assert list(undeclared.json()["errors"]) == ["anchors"]
    assert unknown.status_code == 422
    assert list(unknown.json()["errors"]) == ["playbook"]
    assert not Run.objects.exists()


def test_runs_are_listed_for_my_units_and_filtered(
    handoff_run: dict[str, Any], account_manager: User, south_account_manager: User, harbor: Client
) -> None:
    amy = ApiCaller(account_manager)

    assert amy.get("/runs").json()["count"] == 1
    found = amy.get("/runs", client=harbor.pk, state="running", playbook=HANDOFF).json()
    assert [run["id"] for run in found["items"]] == [handoff_run["id"]]
    assert amy.get("/runs", state="cancelled").json()["count"] == 0
    assert amy.get("/runs", playbook="other").json()["count"] == 0
    bad = amy.get("/runs", state="paused")
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["state"]
    sam = ApiCaller(south_account_manager)
    assert sam.get("/runs").json()["count"] == 0
    assert sam.get(f"/runs/{handoff_run['id']}").status_code == 404


def test_amy_cancels_a_run_saying_why(handoff_run: dict[str, Any], account_manager: User) -> None:
    amy = ApiCaller(account_manager)
    run_id = handoff_run["id"]

    silent = amy.post(f"/runs/{run_id}/cancel", {"reason": "  "})
    assert silent.status_code == 422
    assert list(silent.json()["errors"]) == ["reason"]
    assert amy.get(f"/runs/{run_id}").json()["state"] == "running"

    cancelled = amy.post(f"/runs/{run_id}/cancel", {"reason": "The client walked away."})

    assert cancelled.status_code == 200, cancelled.content
    body = cancelled.json()
    assert (body["state"], body["end_reason"]) == ("cancelled", "The client walked away.")
    assert {t["state"] for t in body["tasks"]} == {"cancelled"}
    assert amy.get("/tasks").json()["count"] == 0


def test_moving_the_anchor_moves_the_open_step_due_on_it(
    handoff_run: dict[str, Any], account_manager: User
) -> None:
    amy = ApiCaller(account_manager)
    run_id = handoff_run["id"]
    first_contact = _task_of(run_id, "first_contact")
    later = datetime.fromisoformat(handoff_run["anchors"]["sold"]) + timedelta(days=2)

    moved = amy.post(f"/runs/{run_id}/anchors", {"name": "sold", "at": later.isoformat()})

    assert moved.status_code == 200, moved.content
    assert datetime.fromisoformat(moved.json()["anchors"]["sold"]) == later
    task = amy.get(f"/tasks/{first_contact.pk}").json()
    assert datetime.fromisoformat(task["due_at"]) == later + timedelta(hours=24)


def test_an_anchor_move_needs_a_time_zone_and_a_declared_name(
    handoff_run: dict[str, Any], account_manager: User
) -> None:
    amy = ApiCaller(account_manager)
    run_id = handoff_run["id"]

    naive = amy.post(f"/runs/{run_id}/anchors", {"name": "sold", "at": "2026-12-01T09:00:00"})
    undeclared = amy.post(
        f"/runs/{run_id}/anchors", {"name": "go_live", "at": "2026-12-01T09:00:00+00:00"}
    )

    assert naive.status_code == 422
    assert list(naive.json()["errors"]) == ["at"]
    assert undeclared.status_code == 422
    assert list(undeclared.json()["errors"]) == ["name"]
    assert amy.get(f"/runs/{run_id}").json()["anchors"] == handoff_run["anchors"]


# Tasks ----------------------------------------------------------------------------------


def test_each_person_lists_their_own_tasks_by_due_time(
    handoff_run: dict[str, Any], account_manager: User, sales_rep: User, csm: User
) -> None:
    amy, sol, cleo = ApiCaller(account_manager), ApiCaller(sales_rep), ApiCaller(csm)

    # Sold 20 hours ago: the notes were due 4 hours after, first contact is due today.
    assert _titles(sol.get("/tasks")) == ["Write the hand-off notes for operations"]
    assert _titles(sol.get("/tasks", due="overdue")) == ["Write the hand-off notes for operations"]
    assert _titles(amy.get("/tasks", due="today")) == ["First contact with the client"]
    assert _titles(amy.get("/tasks", due="overdue")) == []
    assert _titles(amy.get("/tasks", due="upcoming")) == []
    assert _titles(cleo.get("/tasks")) == []
    assert _titles(cleo.get("/tasks", scope="all", state="waiting")) == [
        "Tell the sales rep that first contact is made",
        "Check in with the client a week after first contact",
    ]
    notes = sol.get("/tasks").json()["items"][0]
    assert (notes["overdue"], notes["assignee"]) == (True, "sol_sales")
    assert notes["owner"].startswith("Sol")
    assert notes["client"]["name"] == "Harbor Dental"


def test_done_tasks_are_listed_when_asked_for(handoff_run: dict[str, Any], sales_rep: User) -> None:
    sol = ApiCaller(sales_rep)
    notes = _task_of(handoff_run["id"], "handoff_notes")
    sol.post(f"/tasks/{notes.pk}/complete", {"note": "Sold SEO."})

    assert _titles(sol.get("/tasks")) == []
    assert _titles(sol.get("/tasks", state="done")) == [notes.title]
    assert _titles(sol.get("/tasks", state="any")) == [notes.title]
    for state in TaskState.values:
        assert sol.get("/tasks", state=state).status_code == 200, state


def test_sol_takes_a_task_from_the_sales_queue(
    handoff: PlaybookVersion, north: Any, account_manager: User, sales_rep: User, clock: Any
) -> None:
    # No one on this client's team sells, so the notes wait in North's sales queue.
    lakeside = ClientFactory.create(name="Lakeside Vets", business_unit=north)
    _start(ApiCaller(account_manager), lakeside, sold=timezone.now())
    sol = ApiCaller(sales_rep)
    queued = sol.get("/tasks", scope="queue").json()["items"]
    assert [(t["title"], t["queue"], t["assignee"]) for t in queued] == [
        ("Write the hand-off notes for operations", "role:sales_rep", None)
    ]
    assert _titles(sol.get("/tasks")) == []

    taken = sol.post(f"/tasks/{queued[0]['id']}/reassign", {"to": "sol_sales"})

    assert taken.json()["assignee"] == "sol_sales"
    assert _titles(sol.get("/tasks")) == ["Write the hand-off notes for operations"]
    assert _titles(sol.get("/tasks", scope="queue")) == []


def test_a_bad_filter_value_is_refused_naming_it(account_manager: User) -> None:
    response = ApiCaller(account_manager).get("/tasks", scope="everyone", due="soon", state="late")

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"scope", "due", "state"}


def test_completing_a_task_puts_the_next_step_in_the_next_persons_list(
    handoff_run: dict[str, Any], account_manager: User, sales_rep: User, csm: User
) -> None:
    run_id = handoff_run["id"]
    amy, sol, cleo = ApiCaller(account_manager), ApiCaller(sales_rep), ApiCaller(csm)
    notes, contact = _task_of(run_id, "handoff_notes"), _task_of(run_id, "first_contact")

    done = sol.post(f"/tasks/{notes.pk}/complete", {"note": "Sold SEO and PPC."})
    assert (done.json()["state"], done.json()["closed_by"]) == ("done", "sol_sales")
    assert _titles(cleo.get("/tasks")) == []

    amy.post(f"/tasks/{contact.pk}/complete", {"note": "Spoke to Dana."})

    assert _titles(cleo.get("/tasks")) == ["Check in with the client a week after first contact"]
    check_in = cleo.get("/tasks").json()["items"][0]
    closed_at = datetime.fromisoformat(amy.get(f"/tasks/{contact.pk}").json()["closed_at"])
    assert datetime.fromisoformat(check_in["due_at"]) == closed_at + timedelta(days=7)
    assert _titles(amy.get("/tasks")) == []


def test_amy_may_not_complete_sols_task(handoff_run: dict[str, Any], account_manager: User) -> None:
    notes = _task_of(handoff_run["id"], "handoff_notes")

    response = ApiCaller(account_manager).post(f"/tasks/{notes.pk}/complete", {})

    assert response.status_code == 403
    notes.refresh_from_db()
    assert notes.state == "open"


def _upload(caller: ApiCaller, task: Task, **fields: Any) -> Any:
    """POST multipart to the task's completion with files, as a program sends a form."""
    url = f"/api/v1/tasks/{task.pk}/complete-with-files"
    return caller.http.post(url, fields, headers=caller.headers)


def test_amy_completes_first_contact_with_a_file_that_only_her_unit_downloads(
    handoff_run: dict[str, Any], account_manager: User, csm: User, south_account_manager: User
) -> None:
    contact = _task_of(handoff_run["id"], "first_contact")
    notes = SimpleUploadedFile("call notes.txt", b"Spoke with Dana.", content_type="text/plain")
    amy = ApiCaller(account_manager)

    done = _upload(amy, contact, note="Called Dana", file=notes)

    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["state"], body["note"], body["closed_by"]) == ("done", "Called Dana", "amy_am")
    [attached] = body["attachments"]
    assert (attached["filename"], attached["content_type"], attached["size"]) == (
        "call notes.txt",
        "text/plain",
        len(b"Spoke with Dana."),
    )
    assert attached["uploaded_by"] == "amy_am"
    assert amy.get(f"/tasks/{contact.pk}").json()["attachments"] == [attached]
    # Cleo works in North too: she downloads it; Sam, in South, is told it does not exist.
    cleo, sam = ApiCaller(csm), ApiCaller(south_account_manager)
    download = cleo.http.get(attached["download"], headers=cleo.headers)
    assert download.status_code == 200
    assert download.content == b"Spoke with Dana."
    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"] == 'attachment; filename="call notes.txt"'
    assert sam.http.get(attached["download"], headers=sam.headers).status_code == 404
    assert ApiCaller(None).http.get(attached["download"]).status_code == 401


def test_completing_with_files_needs_a_file_and_the_tasks_owner(
    handoff_run: dict[str, Any], account_manager: User, csm: User
) -> None:
    contact = _task_of(handoff_run["id"], "first_contact")
    order = SimpleUploadedFile("order.pdf", b"%PDF order", content_type="application/pdf")

    without = _upload(ApiCaller(account_manager), contact, note="Called")
    assert without.status_code == 422
    assert list(without.json()["errors"]) == ["file"]
    refused = _upload(ApiCaller(csm), contact, note="Mine now", file=order)
    assert refused.status_code == 403

    contact.refresh_from_db()
    assert contact.state == TaskState.OPEN
    assert not contact.attachments.exists()


MISTYPED = """
key: mistyped
name: Mistyped condition
steps:
  - key: intake
    title: Take in the order
    owner: role:account_manager
  - key: shorten
    title: Shorten the name
    owner: role:account_manager
    needs: [intake]
    when: name > 5
"""


def test_completing_the_step_before_a_condition_that_cannot_be_evaluated_answers_normally(
    publish: Callable[[str], PlaybookVersion], harbor: Client, account_manager: User
) -> None:
    # `name` is text: `name > 5` passes the definition's checks and fails when evaluated.
    publish(MISTYPED)
    amy = ApiCaller(account_manager)
    run = _start(amy, harbor, playbook="mistyped").json()

    done = amy.post(f"/tasks/{_task_of(run['id'], 'intake').pk}/complete", {"note": "In"})

    assert done.status_code == 200, done.content
    after = amy.get(f"/runs/{run['id']}").json()
    assert after["state"] == "completed"
    assert {t["step_key"]: t["state"] for t in after["tasks"]} == {
        "intake": "done",
        "shorten": "skipped",
    }
    reason = amy.get(f"/tasks/{_task_of(run['id'], 'shorten').pk}").json()["skip_reason"]
    assert reason.startswith("its condition (name > 5) could not be evaluated: ")


@pytest.fixture
def budget_run(
    publish: Callable[[str], PlaybookVersion], harbor: Client, account_manager: User
) -> dict[str, Any]:
    """Amy asks for a budget increase on Harbor Dental and writes it up; Tess must sign off."""
    publish(BUDGET_INCREASE)
    amy = ApiCaller(account_manager)
    run = _start(amy, harbor, playbook="budget-increase").json()
    amy.post(f"/tasks/{_task_of(run['id'], 'proposal').pk}/complete", {"note": "+20% on PPC"})
    return run


def test_tess_approves_what_amy_asked_for(
    budget_run: dict[str, Any],
    account_manager: User,
    team_lead: User,
    outsider: User,
    south_account_manager: User,
) -> None:
    sign_off = _task_of(budget_run["id"], "sign_off")
    path = f"/tasks/{sign_off.pk}/decide"
    tess = ApiCaller(team_lead)
    assert _titles(tess.get("/tasks")) == ["Approve the budget increase"]

    own = ApiCaller(account_manager).post(path, {"decision": "approved"})
    assert own.status_code == 403
    assert "someone else must approve" in own.json()["detail"]
    assert ApiCaller(outsider).post(path, {"decision": "approved"}).status_code == 404
    assert ApiCaller(south_account_manager).get(f"/tasks/{sign_off.pk}").status_code == 404

    approved = tess.post(path, {"decision": "approved", "comment": "Worth it."})

    assert approved.status_code == 200, approved.content
    assert (approved.json()["decision"], approved.json()["note"]) == ("approved", "Worth it.")
    assert _titles(ApiCaller(account_manager).get("/tasks")) == [
        "Apply the new budget in the ad accounts"
    ]


def test_a_rejection_needs_its_reason_and_ends_the_run(
    budget_run: dict[str, Any], team_lead: User
) -> None:
    tess = ApiCaller(team_lead)
    path = f"/tasks/{_task_of(budget_run['id'], 'sign_off').pk}/decide"

    silent = tess.post(path, {"decision": "rejected"})
    assert silent.status_code == 422
    assert list(silent.json()["errors"]) == ["comment"]
    unknown = tess.post(path, {"decision": "maybe"})
    assert unknown.status_code == 422
    assert list(unknown.json()["errors"]) == ["decision"]

    rejected = tess.post(path, {"decision": "rejected", "comment": "Not this quarter."})

    assert rejected.json()["decision"] == "rejected"
    run = tess.get(f"/runs/{budget_run['id']}").json()
    assert run["state"] == "rejected"
    assert {t["step_key"]: t["state"] for t in run["tasks"]}["apply"] == "skipped"


def test_amy_hands_first_contact_to_cleo(
    handoff_run: dict[str, Any],
    account_manager: User,
    csm: User,
    south_account_manager: User,
) -> None:
    amy, cleo = ApiCaller(account_manager), ApiCaller(csm)
    path = f"/tasks/{_task_of(handoff_run['id'], 'first_contact').pk}/reassign"

    outside = amy.post(path, {"to": "sam_south"})
    assert outside.status_code == 422
    assert list(outside.json()["errors"]) == ["to"]
    assert amy.post(path, {"to": "nobody_here"}).status_code == 422

    handed = amy.post(path, {"to": "cleo_csm"})

    assert handed.status_code == 200, handed.content
    assert handed.json()["assignee"] == "cleo_csm"
    assert _titles(amy.get("/tasks")) == []
    assert _titles(cleo.get("/tasks")) == ["First contact with the client"]


def test_only_a_skipping_role_skips_a_step(
    handoff_run: dict[str, Any], account_manager: User, team_lead: User
) -> None:
    notes = _task_of(handoff_run["id"], "handoff_notes")
    path = f"/tasks/{notes.pk}/skip"
    reason = {"reason": "Sol is on leave; Amy was at the sales call."}

    refused = ApiCaller(account_manager).post(path, reason)
    assert refused.status_code == 403
    tess = ApiCaller(team_lead)
    assert list(tess.post(path, {"reason": ""}).json()["errors"]) == ["reason"]

    skipped = tess.post(path, reason)

    assert skipped.status_code == 200, skipped.content
    body = skipped.json()
    assert (body["state"], body["skip_reason"]) == ("skipped", reason["reason"])


def test_anyone_who_sees_the_client_may_comment(
    handoff_run: dict[str, Any], service_agent: User, south_account_manager: User
) -> None:
    contact = _task_of(handoff_run["id"], "first_contact")
    path = f"/tasks/{contact.pk}/comment"

    posted = ApiCaller(service_agent).post(path, {"body": "Dana called: best after 3pm."})

    assert posted.status_code == 201, posted.content
    assert posted.json()["author"] == "sid_service"
    task = ApiCaller(service_agent).get(f"/tasks/{contact.pk}").json()
    assert [c["body"] for c in task["comments"]] == ["Dana called: best after 3pm."]
    assert ApiCaller(south_account_manager).post(path, {"body": "hi"}).status_code == 404


# Timeline -------------------------------------------------------------------------------


def test_the_timeline_merges_process_events_messages_and_record_changes(
    clock: Any,
    handoff_run: dict[str, Any],
    account_manager: User,
    south_account_manager: User,
    harbor: Client,
) -> None:
    amy = ApiCaller(account_manager)
    started_at = timezone.now()
    clock.shift(timedelta(minutes=30))
    amy.post(f"/tasks/{_task_of(handoff_run['id'], 'first_contact').pk}/complete", {})

    body = amy.get(f"/clients/{harbor.pk}/timeline").json()

    entries = body["items"]
    assert {e["source"] for e in entries} == {"process", "message", "record"}
    kinds = [e["kind"] for e in entries]
    assert {"run_started", "task_done", "message_queued", "record_created"} <= set(kinds)
    started = next(e for e in entries if e["kind"] == "run_started")
    assert started["summary"] == "Hand-off from sales to operations started by hand"
    whens = [datetime.fromisoformat(e["when"]) for e in entries]
    assert whens == sorted(whens, reverse=True)
    # Newest first: the first contact half an hour later, then what happened at the start.
    later = started_at + timedelta(minutes=30)
    newest = [e["kind"] for e, when in zip(entries, whens, strict=True) if when == later]
    assert whens[0] == later
    assert "task_done" in newest and "record_created" not in newest
    created = {
        when for e, when in zip(entries, whens, strict=True) if e["kind"] == "record_created"
    }
    assert created == {started_at}
    assert body["next_before"] is None  # all of it fits on one page
    sam = ApiCaller(south_account_manager)
    assert sam.get(f"/clients/{harbor.pk}/timeline").status_code == 404


def test_the_timeline_reads_back_page_by_page_losing_and_repeating_nothing(
    clock: Any, handoff_run: dict[str, Any], account_manager: User, csm: User, harbor: Client
) -> None:
    # Amy and Cleo hand first contact back and forth, a minute apart, after the start,
    # when the client's record and the run were written in one instant.
    contact = _task_of(handoff_run["id"], "first_contact")
    callers = {"amy_am": ApiCaller(account_manager), "cleo_csm": ApiCaller(csm)}
    holder, other = "amy_am", "cleo_csm"
    for _ in range(6):
        clock.shift(timedelta(minutes=1))
        handed = callers[holder].post(f"/tasks/{contact.pk}/reassign", {"to": other})
        assert handed.status_code == 200, handed.content
        holder, other = other, holder
    amy, path = callers["amy_am"], f"/clients/{harbor.pk}/timeline"
    everything = amy.get(path, limit=500).json()
    assert everything["next_before"] is None
    started = [e for e in everything["items"] if e["when"] == everything["items"][-1]["when"]]
    assert len(started) > 4, "the start should hold more entries than a page"

    pages, before = [], None
    while True:
        params = {"limit": 4, **({"before": before} if before else {})}
        page = amy.get(path, **params).json()
        pages.append(page["items"])
        before = page["next_before"]
        if before is None:
            break

    assert [len(items) for items in pages] == [4, 2 + len(started)]
    assert [e for items in pages for e in items] == everything["items"]
    # The page ends with all of its last instant, and the next starts strictly before it.
    assert pages[0][-1]["when"] > pages[1][0]["when"]


def test_the_timeline_cursor_needs_a_time_zone_and_a_sensible_page_size(
    handoff_run: dict[str, Any], account_manager: User, harbor: Client
) -> None:
    amy, path = ApiCaller(account_manager), f"/clients/{harbor.pk}/timeline"

    naive = amy.get(path, before="2026-11-24T09:00:00")
    assert naive.status_code == 422
    assert list(naive.json()["errors"]) == ["before"]
    assert list(amy.get(path, limit=0).json()["errors"]) == ["limit"]
    assert list(amy.get(path, limit=501).json()["errors"]) == ["limit"]
    long_ago = amy.get(path, before="2000-01-01T00:00:00+00:00").json()
    assert long_ago == {"items": [], "next_before": None}


# The API itself -------------------------------------------------------------------------


def test_without_a_token_nothing_answers(handoff_run: dict[str, Any]) -> None:
    anonymous = ApiCaller(None)

    assert anonymous.get("/tasks").status_code == 401
    assert anonymous.get("/playbooks").status_code == 401
    assert anonymous.post("/playbooks/validate", {"yaml": SMALL}).status_code == 401
    assert anonymous.get(f"/runs/{handoff_run['id']}").status_code == 401


def test_the_openapi_document_describes_the_process_engine(account_manager: User) -> None:
    paths = ApiCaller(account_manager).get("/openapi.json").json()["paths"]

    for path in (
        "/api/v1/playbooks/validate",
        "/api/v1/playbooks",
        "/api/v1/playbooks/{key}",
        "/api/v1/playbooks/{key}/versions/{number}",
        "/api/v1/playbooks/{key}/retire",
        "/api/v1/playbooks/{key}/restore",
        "/api/v1/runs",
        "/api/v1/runs/{run_id}",
        "/api/v1/runs/{run_id}/cancel",
        "/api/v1/runs/{run_id}/anchors",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/tasks/{task_id}/complete-with-files",
        "/api/v1/tasks/{task_id}/attachments/{attachment_id}",
        "/api/v1/tasks/{task_id}/decide",
        "/api/v1/tasks/{task_id}/reassign",
        "/api/v1/tasks/{task_id}/skip",
        "/api/v1/tasks/{task_id}/comment",
        "/api/v1/clients/{client_id}/timeline",
    ):
        assert path in paths, path
