"""Onboarding through the API: programs sold and their purchase orders, proofs, portal
links, the board, and the client acting through the portal with no staff account.

The people: Sol (sales rep), Amy (account manager), Cleo (client success manager), Tess
(team lead) and Cora (creative director) work Harbor Dental in North; Sam works in South;
Sid answers the phones in North. Dana and Evan are Harbor's contacts.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.core.testing import ApiCaller
from retainops.messaging.tests.conftest import START
from retainops.onboarding import portal
from retainops.onboarding.choices import ProgramStatus, ProofDecision
from retainops.onboarding.models import DetailRequirement, PortalLink, Program, ProofVersion
from retainops.onboarding.services import mark_program_sold
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import PlaybookVersion, Run, Task
from retainops.playbooks.services import complete_task

pytestmark = pytest.mark.usefixtures("clock")

# Every detail a display and SEM program needs, well formed.
FULL_ORDER = {
    "billing_contact": "billing@harbor.example",
    "landing_page": "https://harbor.example/spring",
    "tracking_access": "Tag manager access granted to ops@agency.example",
    "display_targeting": "Families within 10 miles who need a dentist",
    "display_geography": "Portland, OR",
    "display_creative": "300x250 and 728x90, brand blue",
    "sem_keywords": "dentist near me, family dentist",
    "sem_geography": "Portland metro",
}
SOME_ORDER = {key: FULL_ORDER[key] for key in ("billing_contact", "sem_keywords")}

ProgramMaker = Callable[..., Program]


def _body(client: Client, **fields: Any) -> dict[str, Any]:
    return {
        "client": client.pk,
        "name": "Spring campaign",
        "start_date": "2026-12-01",
        "end_date": "2027-05-31",
        "lines": [
            {"service": "targeted-display", "monthly_budget": "2500.00"},
            {"service": "sem", "monthly_budget": "1500.00"},
        ],
        **fields,
    }


def _sold(make: ProgramMaker, by: User, **fields: Any) -> Program:
    program = make(**fields)
    return mark_program_sold(by=by, program=program)


def _task(program: Program, step_key: str) -> Task:
    return Task.objects.get(
        run__subject_type="program", run__subject_id=program.pk, step_key=step_key
    )


def _finish(program: Program, step_key: str, by: User) -> None:
    complete_task(by=by, task=_task(program, step_key))


def _token(program: Program) -> str:
    return portal.token_for(PortalLink.objects.filter(program=program).latest("created_at"))


def _upload(caller: ApiCaller, program: Program, kind: str, title: str, note: str = "") -> Any:
    fields = {
        "kind": kind,
        "title": title,
        "note": note,
        "file": SimpleUploadedFile(f"{title}.pdf", b"%PDF proof", content_type="application/pdf"),
    }
    return caller.http.post(f"/api/v1/programs/{program.pk}/proofs", fields, headers=caller.headers)


def _decide(token: str, version_id: int, decision: str, comment: str = "") -> Any:
    body = {"contact": "Dana Diaz", "decision": decision, "comment": comment}
    return ApiCaller(None).post(f"/portal/{token}/proofs/{version_id}/decision", body)


def _errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    return sorted(response.json()["errors"])


# Creating and listing programs -----------------------------------------------------------


def test_amy_records_a_sold_program_with_its_order_so_far(
    harbor: Client, account_manager: User
) -> None:
    body = _body(harbor, go_live_at="2026-12-01T09:00:00+01:00", details=SOME_ORDER)

    response = ApiCaller(account_manager).post("/programs", body)

    assert response.status_code == 201, response.content
    program = response.json()
    assert program["client"] == {"id": harbor.pk, "name": "Harbor Dental"}
    assert (program["name"], program["status"]) == ("Spring campaign", "draft")
    assert program["flight"] == {"start_date": "2026-12-01", "end_date": "2027-05-31"}
    assert datetime.fromisoformat(program["go_live_at"]) == datetime.fromisoformat(
        "2026-12-01T08:00:00+00:00"
    )
    assert [(x["service"], x["monthly_budget"]) for x in program["lines"]] == [
        ("sem", "1500.00"),
        ("targeted-display", "2500.00"),
    ]
    assert program["details"] == SOME_ORDER
    assert {m["key"] for m in program["missing"]} == set(FULL_ORDER) - set(SOME_ORDER)
    assert (program["sold_at"], program["onboarding_run"]) == (None, None)
    assert (program["portal_links"], program["proofs"]) == ([], [])


def test_a_service_agent_may_not_record_a_program(harbor: Client, service_agent: User) -> None:
    response = ApiCaller(service_agent).post("/programs", _body(harbor))

    assert response.status_code == 403
    assert not Program.objects.exists()


def test_sam_cannot_record_or_read_a_program_of_another_unit(
    harbor: Client, south_account_manager: User, new_program: ProgramMaker
) -> None:
    sam = ApiCaller(south_account_manager)
    program = new_program()

    assert sam.post("/programs", _body(harbor)).status_code == 404
    assert sam.get(f"/programs/{program.pk}").status_code == 404
    assert sam.post(f"/programs/{program.pk}/sold", {}).status_code == 404
    assert sam.get("/programs").json()["count"] == 0
    assert Program.objects.count() == 1


def test_a_flight_ending_before_it_starts_is_refused(harbor: Client, account_manager: User) -> None:
    body = _body(harbor, start_date="2027-01-01", end_date="2026-12-31")

    response = ApiCaller(account_manager).post("/programs", body)

    assert _errors(response) == ["end_date"]
    assert not Program.objects.exists()


def test_an_unknown_service_is_named_by_its_line(harbor: Client, account_manager: User) -> None:
    body = _body(harbor)
    body["lines"][1]["service"] = "skywriting"

    response = ApiCaller(account_manager).post("/programs", body)

    assert _errors(response) == ["lines[1].service"]
    assert not Program.objects.exists()


def test_programs_are_listed_page_by_page_and_filtered(
    account_manager: User, new_program: ProgramMaker, sales_rep: User
) -> None:
    amy = ApiCaller(account_manager)
    draft = new_program(name="Summer campaign")
    sold = _sold(new_program, sales_rep, name="Spring campaign")

    everything = amy.get("/programs", page_size=1).json()
    only_sold = amy.get("/programs", status="sold").json()

    assert everything["count"] == 2
    assert len(everything["items"]) == 1
    assert [p["id"] for p in only_sold["items"]] == [sold.pk]
    assert amy.get("/programs", client=draft.client_id).json()["count"] == 2
    assert amy.get("/programs", client=draft.client_id + 1000).json()["count"] == 0
    assert _errors(amy.get("/programs", status="paused")) == ["status"]


# The purchase order ----------------------------------------------------------------------


def test_a_bad_email_is_named_and_nothing_of_the_order_is_saved(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program(details=SOME_ORDER)
    changes = {"billing_contact": "billing at harbor", "landing_page": "harbor.example/new"}

    response = ApiCaller(account_manager).patch(
        f"/programs/{program.pk}/order", {"details": changes}
    )

    assert _errors(response) == ["details.billing_contact"]
    program.refresh_from_db()
    assert program.details == SOME_ORDER


def test_good_order_details_are_saved_and_an_empty_one_clears(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program(details=SOME_ORDER)
    changes = {"landing_page": "harbor.example/new", "sem_keywords": ""}

    response = ApiCaller(account_manager).patch(
        f"/programs/{program.pk}/order", {"details": changes}
    )

    assert response.status_code == 200, response.content
    assert response.json()["details"] == {
        "billing_contact": "billing@harbor.example",
        "landing_page": "https://harbor.example/new",
    }
    assert "sem_keywords" in {m["key"] for m in response.json()["missing"]}


def test_a_number_is_kept_as_text_and_a_list_is_refused(
    account_manager: User, new_program: ProgramMaker
) -> None:
    amy = ApiCaller(account_manager)
    program = new_program()

    kept = amy.patch(f"/programs/{program.pk}/order", {"details": {"sem_geography": 97201}})
    refused = amy.patch(f"/programs/{program.pk}/order", {"details": {"sem_geography": ["a"]}})

    assert kept.status_code == 200, kept.content
    assert kept.json()["details"] == {"sem_geography": "97201"}
    assert _errors(refused) == ["details.sem_geography"]


def test_a_detail_the_program_does_not_ask_for_is_refused(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program()
    details = {"ott_video": "https://harbor.example/video.mp4", "shoe_size": "42"}

    response = ApiCaller(account_manager).patch(
        f"/programs/{program.pk}/order", {"details": details}
    )

    assert _errors(response) == ["details.ott_video", "details.shoe_size"]
    program.refresh_from_db()
    assert program.details == {}


def test_a_service_agent_may_not_change_the_order(
    service_agent: User, new_program: ProgramMaker
) -> None:
    program = new_program()

    response = ApiCaller(service_agent).patch(
        f"/programs/{program.pk}/order", {"details": {"sem_geography": "Portland"}}
    )

    assert response.status_code == 403
    program.refresh_from_db()
    assert program.details == {}


def test_missing_details_are_listed_per_service(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program(details=SOME_ORDER)

    response = ApiCaller(account_manager).get(f"/programs/{program.pk}/missing")

    assert response.status_code == 200, response.content
    assert [(m["service"], m["key"], m["label"]) for m in response.json()] == [
        ("Every program", "landing_page", "Landing page"),
        ("Every program", "tracking_access", "Tracking access"),
        ("SEM", "sem_geography", "Search geography"),
        ("Targeted display", "display_targeting", "Audience targeting"),
        ("Targeted display", "display_geography", "Geography"),
        ("Targeted display", "display_creative", "Creative specifications"),
    ]


def test_replacing_the_lines_changes_what_the_order_needs(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program(details=SOME_ORDER)
    lines = [{"service": "seo", "monthly_budget": "900.00"}]

    response = ApiCaller(account_manager).put(f"/programs/{program.pk}/lines", {"lines": lines})

    assert response.status_code == 200, response.content
    assert [(x["service"], x["monthly_budget"]) for x in response.json()["lines"]] == [
        ("seo", "900.00")
    ]
    assert {m["service"] for m in response.json()["missing"]} == {"Every program", "SEO"}
    empty = ApiCaller(account_manager).put(f"/programs/{program.pk}/lines", {"lines": []})
    assert _errors(empty) == ["lines"]


# Selling, going live ----------------------------------------------------------------------


def test_marking_sold_starts_onboarding_once(
    onboarding: PlaybookVersion, account_manager: User, new_program: ProgramMaker
) -> None:
    amy = ApiCaller(account_manager)
    program = new_program(details=SOME_ORDER)

    response = amy.post(f"/programs/{program.pk}/sold", {})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == ProgramStatus.SOLD
    assert datetime.fromisoformat(body["sold_at"]) == START
    run = Run.objects.get(pk=body["onboarding_run"])
    assert (run.subject_type, run.subject_id, run.version) == ("program", program.pk, onboarding)
    steps = {t.step_key: t.state for t in run.tasks.all()}
    assert set(steps) == {step.key for step in onboarding.definition.steps}
    assert steps["production_meeting"] == TaskState.OPEN
    assert len(body["portal_links"]) == 1
    again = amy.post(f"/programs/{program.pk}/sold", {})
    assert _errors(again) == ["status"]
    assert Run.objects.count() == 1


def test_a_go_live_without_its_offset_is_refused(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program()

    response = ApiCaller(account_manager).post(
        f"/programs/{program.pk}/go-live", {"at": "2026-12-01T09:00:00"}
    )

    assert _errors(response) == ["at"]
    program.refresh_from_db()
    assert program.go_live_at is None


def test_moving_go_live_moves_the_onboarding_meeting(
    onboarding: PlaybookVersion,
    account_manager: User,
    sales_rep: User,
    new_program: ProgramMaker,
) -> None:
    planned = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
    program = _sold(new_program, sales_rep, go_live_at=planned)
    meeting = _task(program, "onboarding_meeting").meeting
    assert meeting is not None
    assert meeting.starts_at == planned + timedelta(days=7)

    response = ApiCaller(account_manager).post(
        f"/programs/{program.pk}/go-live", {"at": "2026-12-03T15:00:00-05:00"}
    )

    assert response.status_code == 200, response.content
    moved_to = datetime.fromisoformat("2026-12-03T20:00:00+00:00")
    assert datetime.fromisoformat(response.json()["go_live_at"]) == moved_to
    meeting.refresh_from_db()
    assert _task(program, "onboarding_meeting").meeting_id == meeting.pk
    assert meeting.starts_at == moved_to + timedelta(days=7)
    assert meeting.sequence == 1


def test_the_timings_of_a_program_count_days_from_the_sale(
    onboarding: PlaybookVersion,
    account_manager: User,
    sales_rep: User,
    new_program: ProgramMaker,
    clock: Any,
) -> None:
    program = _sold(new_program, sales_rep, details=FULL_ORDER)
    clock.move_to(START + timedelta(days=2))
    _finish(program, "production_meeting", sales_rep)

    response = ApiCaller(account_manager).get(f"/programs/{program.pk}/timings")

    assert response.status_code == 200, response.content
    timings = response.json()
    assert timings["Internal production meeting on the order"] == 2.0
    assert timings["Collect the missing order details"] == 2.0


# Proofs -----------------------------------------------------------------------------------


def test_proofs_are_uploaded_as_numbered_versions(
    account_manager: User, new_program: ProgramMaker
) -> None:
    amy = ApiCaller(account_manager)
    program = new_program()

    first = _upload(amy, program, "creative", "Banner set")
    second = _upload(amy, program, "creative", "Banner set", note="Brighter blue")

    assert first.status_code == 201, first.content
    assert (first.json()["number"], second.json()["number"]) == (1, 2)
    assert second.json()["proof"] == first.json()["proof"]
    assert (second.json()["filename"], second.json()["content_type"]) == (
        "Banner set.pdf",
        "application/pdf",
    )
    assert (second.json()["uploaded_by"], second.json()["decision"]) == ("amy_am", "pending")
    [proof] = amy.get(f"/programs/{program.pk}").json()["proofs"]
    assert (proof["kind"], proof["title"]) == ("creative", "Banner set")
    assert [(v["number"], v["note"]) for v in proof["versions"]] == [(2, "Brighter blue"), (1, "")]


def test_a_proof_of_no_known_kind_is_refused(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program()

    response = _upload(ApiCaller(account_manager), program, "poster", "Banner set")

    assert _errors(response) == ["kind"]
    assert not ProofVersion.objects.exists()


def test_a_proof_without_its_file_is_refused(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program()
    amy = ApiCaller(account_manager)

    response = amy.http.post(
        f"/api/v1/programs/{program.pk}/proofs",
        {"kind": "creative", "title": "Banner set"},
        headers=amy.headers,
    )

    assert _errors(response) == ["file"]
    assert not ProofVersion.objects.exists()


def test_a_service_agent_may_not_upload_proofs(
    service_agent: User, new_program: ProgramMaker
) -> None:
    response = _upload(ApiCaller(service_agent), new_program(), "creative", "Banner set")

    assert response.status_code == 403
    assert not ProofVersion.objects.exists()


# Portal links -----------------------------------------------------------------------------


def test_a_portal_link_is_issued_shown_and_revoked(
    account_manager: User, new_program: ProgramMaker
) -> None:
    amy = ApiCaller(account_manager)
    program = new_program()

    issued = amy.post(f"/programs/{program.pk}/links", {})

    assert issued.status_code == 201, issued.content
    link = issued.json()
    assert set(link) == {"id", "url", "expires_at"}
    token = _token(program)
    assert link["url"].endswith(f"/portal/{token}/")
    assert datetime.fromisoformat(link["expires_at"]) == START + timedelta(days=60)
    [shown] = amy.get(f"/programs/{program.pk}").json()["portal_links"]
    assert (shown["url"], shown["usable"], shown["created_by"]) == (link["url"], True, "amy_am")
    revoked = amy.post(f"/links/{link['id']}/revoke", {})
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["usable"] is False
    assert datetime.fromisoformat(revoked.json()["revoked_at"]) == START
    assert _errors(amy.post(f"/links/{link['id']}/revoke", {})) == ["link"]


def test_sam_cannot_revoke_a_link_of_another_unit(
    south_account_manager: User, new_program: ProgramMaker, account_manager: User
) -> None:
    program = new_program()
    link = ApiCaller(account_manager).post(f"/programs/{program.pk}/links", {}).json()

    response = ApiCaller(south_account_manager).post(f"/links/{link['id']}/revoke", {})

    assert response.status_code == 404
    assert PortalLink.objects.get().revoked_at is None


def test_sending_the_portal_link_writes_to_every_contact(
    account_manager: User, new_program: ProgramMaker
) -> None:
    program = new_program(details=SOME_ORDER)

    response = ApiCaller(account_manager).post(f"/programs/{program.pk}/links/send", {})

    assert response.status_code == 201, response.content
    message = response.json()
    assert message["subject"] == "Your program page: Spring campaign"
    assert {r["address"] for r in message["recipients"]} == {
        "dana@harbor.example",
        "evan@harbor.example",
    }
    assert PortalLink.objects.filter(program=program).count() == 1


# The client's portal ----------------------------------------------------------------------


def test_the_portal_shows_the_client_exactly_what_is_missing(
    onboarding: PlaybookVersion, sales_rep: User, new_program: ProgramMaker
) -> None:
    program = _sold(new_program, sales_rep, details=SOME_ORDER)

    response = ApiCaller(None).get(f"/portal/{_token(program)}")

    assert response.status_code == 200, response.content
    page = response.json()
    assert set(page) == {
        "name",
        "client",
        "flight",
        "go_live_at",
        "open_steps",
        "missing",
        "proofs",
        "meetings",
    }
    assert (page["name"], page["client"]) == ("Spring campaign", "Harbor Dental")
    assert {m["key"] for m in page["missing"]} == set(FULL_ORDER) - set(SOME_ORDER)
    assert page["open_steps"] == ["In production: your team reviews your order"]
    assert page["proofs"] == []


def test_the_portal_shows_the_meetings_to_come_with_the_client(
    onboarding: PlaybookVersion, sales_rep: User, new_program: ProgramMaker
) -> None:
    go_live = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
    program = _sold(new_program, sales_rep, go_live_at=go_live)

    page = ApiCaller(None).get(f"/portal/{_token(program)}").json()

    starts = {m["title"]: datetime.fromisoformat(m["starts_at"]) for m in page["meetings"]}
    assert starts["Reporting and onboarding meeting: Harbor Dental"] == go_live + timedelta(days=7)
    assert not any(title.startswith("Internal production meeting") for title in starts)


def test_details_sent_through_the_portal_fill_the_order_and_finish_collecting(
    onboarding: PlaybookVersion, sales_rep: User, new_program: ProgramMaker
) -> None:
    program = _sold(new_program, sales_rep, details=SOME_ORDER)
    _finish(program, "production_meeting", sales_rep)
    assert _task(program, "collect_details").state == TaskState.OPEN
    missing = {key: value for key, value in FULL_ORDER.items() if key not in SOME_ORDER}

    response = ApiCaller(None).post(
        f"/portal/{_token(program)}/details", {"contact": "Dana Diaz", "details": missing}
    )

    assert response.status_code == 200, response.content
    assert response.json()["missing"] == []
    program.refresh_from_db()
    assert program.details == FULL_ORDER
    assert _task(program, "collect_details").state == TaskState.DONE
    assert _task(program, "design_meeting").state == TaskState.OPEN


def test_a_bad_detail_from_the_portal_is_named_and_nothing_is_saved(
    onboarding: PlaybookVersion, sales_rep: User, new_program: ProgramMaker
) -> None:
    program = _sold(new_program, sales_rep)
    details = {"sem_geography": "Portland", "billing_contact": "not an address"}

    response = ApiCaller(None).post(
        f"/portal/{_token(program)}/details", {"contact": "Dana Diaz", "details": details}
    )

    assert _errors(response) == ["details.billing_contact"]
    program.refresh_from_db()
    assert program.details == {}


def test_approving_every_proof_through_the_portal_finishes_the_client_approval(
    onboarding: PlaybookVersion,
    sales_rep: User,
    account_manager: User,
    new_program: ProgramMaker,
) -> None:
    amy = ApiCaller(account_manager)
    program = _sold(new_program, sales_rep, details=FULL_ORDER)
    _finish(program, "production_meeting", sales_rep)
    _finish(program, "design_meeting", account_manager)
    _upload(amy, program, "creative", "Banner set")
    banners = _upload(amy, program, "creative", "Banner set").json()["id"]
    audience = _upload(amy, program, "targeting", "Audience").json()["id"]
    token = _token(program)
    assert _task(program, "client_approval").state == TaskState.OPEN

    first = _decide(token, banners, "approved")

    assert first.status_code == 200, first.content
    assert _task(program, "client_approval").state == TaskState.OPEN
    last = _decide(token, audience, "approved")
    assert last.status_code == 200, last.content
    decisions = {
        (p["title"], p["latest"]["number"], p["latest"]["decision"]) for p in last.json()["proofs"]
    }
    assert decisions == {("Banner set", 2, "approved"), ("Audience", 1, "approved")}
    assert _task(program, "client_approval").state == TaskState.DONE
    assert _task(program, "set_live").state == TaskState.OPEN


def test_sending_a_proof_back_needs_a_comment_and_only_the_latest_version_counts(
    sales_rep: User, account_manager: User, new_program: ProgramMaker
) -> None:
    amy = ApiCaller(account_manager)
    program = _sold(new_program, sales_rep)
    older = _upload(amy, program, "creative", "Banner set").json()["id"]
    latest = _upload(amy, program, "creative", "Banner set").json()["id"]
    token = _token(program)

    assert _errors(_decide(token, latest, "changes")) == ["comment"]
    assert _errors(_decide(token, older, "approved")) == ["version"]
    assert _errors(_decide(token, latest, "maybe")) == ["decision"]
    assert set(ProofVersion.objects.values_list("decision", flat=True)) == {"pending"}
    sent_back = _decide(token, latest, "changes", "Use the new logo.")
    assert sent_back.status_code == 200, sent_back.content
    version = ProofVersion.objects.get(pk=latest)
    assert (version.decision, version.comment) == (ProofDecision.CHANGES, "Use the new logo.")
    assert version.decided_by == "Dana Diaz"


def test_the_portal_cannot_decide_on_another_programs_proof(
    sales_rep: User, account_manager: User, new_program: ProgramMaker
) -> None:
    amy = ApiCaller(account_manager)
    mine = _sold(new_program, sales_rep)
    theirs = new_program(name="Autumn campaign")
    version = _upload(amy, theirs, "creative", "Banner set").json()["id"]

    response = _decide(_token(mine), version, "approved")

    assert response.status_code == 404
    assert ProofVersion.objects.get(pk=version).decision == ProofDecision.PENDING


def _revoked(program: Program, clock: Any, by: User) -> str:
    link = PortalLink.objects.get(program=program)
    ApiCaller(by).post(f"/links/{link.pk}/revoke", {})
    return portal.token_for(link)


def _expired(program: Program, clock: Any, by: User) -> str:
    clock.move_to(START + timedelta(days=61))
    return _token(program)


def _forged(program: Program, clock: Any, by: User) -> str:
    token = _token(program)
    return token[:-1] + ("B" if token.endswith("A") else "A")


def _foreign(program: Program, clock: Any, by: User) -> str:
    return "not-a-token"


@pytest.mark.parametrize(
    "broken", [_revoked, _expired, _forged, _foreign], ids=["revoked", "expired", "forged", "bad"]
)
def test_a_token_that_does_not_work_is_not_found_and_says_nothing_more(
    sales_rep: User,
    account_manager: User,
    new_program: ProgramMaker,
    clock: Any,
    broken: Callable[[Program, Any, User], str],
) -> None:
    program = _sold(new_program, sales_rep)
    version = _upload(ApiCaller(account_manager), program, "creative", "Banner set").json()["id"]
    token = broken(program, clock, account_manager)
    portal_caller = ApiCaller(None)

    answers = [
        portal_caller.get(f"/portal/{token}"),
        portal_caller.post(
            f"/portal/{token}/details",
            {"contact": "Dana", "details": {"sem_geography": "Portland"}},
        ),
        _decide(token, version, "approved"),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert all(a.json() == {"detail": "Not found."} for a in answers)
    program.refresh_from_db()
    assert program.details == {}
    assert ProofVersion.objects.get(pk=version).decision == ProofDecision.PENDING


# The board and the requirements -----------------------------------------------------------


def test_the_board_shows_the_sold_program_in_the_step_it_waits_on(
    onboarding: PlaybookVersion,
    sales_rep: User,
    account_manager: User,
    new_program: ProgramMaker,
) -> None:
    new_program(name="Still a draft")
    program = _sold(new_program, sales_rep)

    response = ApiCaller(account_manager).get("/onboarding/board")

    assert response.status_code == 200, response.content
    board = response.json()
    column = "Internal production meeting on the order"
    assert column in board["columns"]
    [card] = [card for cards in board["cards"].values() for card in cards]
    assert card in board["cards"][column]
    assert card == {
        "program": {"id": program.pk, "name": "Spring campaign"},
        "client": {"id": program.client_id, "name": "Harbor Dental"},
        "owner": str(sales_rep),
        "age_days": 0,
        "late": False,
        "stuck": False,
    }
    assert board["timings"]["programs"] == 1


def test_the_board_of_another_unit_is_empty(
    onboarding: PlaybookVersion,
    sales_rep: User,
    south_account_manager: User,
    new_program: ProgramMaker,
) -> None:
    _sold(new_program, sales_rep)

    board = ApiCaller(south_account_manager).get("/onboarding/board").json()

    assert (board["columns"], board["cards"]) == ([], {})


def test_the_requirements_of_a_service_are_listed(account_manager: User) -> None:
    amy = ApiCaller(account_manager)

    sem = amy.get("/requirements", service="sem")
    everything = amy.get("/requirements").json()

    assert sem.status_code == 200, sem.content
    assert [(r["key"], r["kind"], r["service"], r["required"]) for r in sem.json()] == [
        ("sem_keywords", "long_text", "sem", True),
        ("sem_geography", "text", "sem", True),
    ]
    assert sem.json()[0]["label"] == "Keywords"
    assert [r["key"] for r in everything[:3]] == [
        "billing_contact",
        "landing_page",
        "tracking_access",
    ]
    assert {r["service"] for r in everything[:3]} == {None}
    assert _errors(amy.get("/requirements", service="skywriting")) == ["service"]


def _requirement(**fields: Any) -> dict[str, Any]:
    return {
        "service": "sem",
        "key": "sem_daily_cap",
        "label": "Daily budget cap",
        "kind": "number",
        "help_text": "The most to spend in a day.",
        "position": 30,
        **fields,
    }


def test_an_administrator_adds_a_requirement_for_a_service(administrator: User) -> None:
    ada = ApiCaller(administrator)

    response = ada.post(
        "/requirements",
        _requirement(key="sem_pacing", kind="choice", choices=["Daily", " Weekly", "Daily", ""]),
    )

    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["key"], added["service"], added["kind"]) == ("sem_pacing", "sem", "choice")
    assert (added["choices"], added["required"], added["position"]) == (
        ["Daily", "Weekly"],
        True,
        30,
    )
    requirement = DetailRequirement.objects.get(key="sem_pacing")
    assert requirement.history.get().history_user == administrator
    assert "sem_pacing" in [r["key"] for r in ada.get("/requirements", service="sem").json()]


def test_every_bad_field_of_a_requirement_is_named_and_nothing_is_written(
    administrator: User,
) -> None:
    ada = ApiCaller(administrator)
    before = DetailRequirement.objects.count()

    everything_wrong = ada.post(
        "/requirements",
        _requirement(service="skywriting", key="not a key!", label=" ", kind="colour", position=-1),
    )
    list_without_choices = ada.post("/requirements", _requirement(kind="choice"))
    key_taken = ada.post("/requirements", _requirement(key="sem_keywords", label=""))

    assert _errors(everything_wrong) == ["key", "kind", "label", "position", "service"]
    assert everything_wrong.json()["errors"]["service"] == ["No service has the code 'skywriting'."]
    assert list_without_choices.json()["errors"] == {
        "choices": ["List the choices, separated by commas."]
    }
    assert _errors(key_taken) == ["key", "label"]
    assert key_taken.json()["errors"]["key"] == ["Another requirement already uses this key."]
    assert DetailRequirement.objects.count() == before


def test_an_administrator_changes_only_the_fields_sent(administrator: User) -> None:
    ada = ApiCaller(administrator)
    keywords = DetailRequirement.objects.get(key="sem_keywords")

    relabelled = ada.patch(f"/requirements/{keywords.pk}", {"label": "Keywords to bid on"})
    for_everyone = ada.patch(f"/requirements/{keywords.pk}", {"service": None, "required": False})

    assert relabelled.status_code == 200, relabelled.content
    assert (relabelled.json()["label"], relabelled.json()["service"]) == (
        "Keywords to bid on",
        "sem",
    )
    assert (for_everyone.json()["service"], for_everyone.json()["required"]) == (None, False)
    keywords.refresh_from_db()
    assert (keywords.kind, keywords.label, keywords.service) == (
        "long_text",
        "Keywords to bid on",
        None,
    )
    assert keywords.history.first().history_user == administrator


def test_a_bad_change_of_a_requirement_is_named_and_changes_nothing(
    administrator: User, new_program: ProgramMaker
) -> None:
    new_program(details=SOME_ORDER)  # its order holds the billing contact
    ada = ApiCaller(administrator)
    billing = DetailRequirement.objects.get(key="billing_contact")

    renamed = ada.patch(f"/requirements/{billing.pk}", {"key": "billing_email", "kind": "colour"})
    emptied = ada.patch(f"/requirements/{billing.pk}", {"label": None, "position": None})
    unknown = ada.patch("/requirements/999999", {"label": "Anything"})

    assert renamed.json()["errors"] == {
        "key": ["Orders already hold this detail under its key; keep the key."],
        "kind": ["Value 'colour' is not a valid choice."],
    }
    assert _errors(emptied) == ["label", "position"]
    assert unknown.status_code == 404
    billing.refresh_from_db()
    assert (billing.key, billing.kind, billing.label) == (
        "billing_contact",
        "email",
        "Billing contact e-mail",
    )


def test_removing_a_requirement_no_order_holds(
    administrator: User, new_program: ProgramMaker
) -> None:
    new_program(details=SOME_ORDER)  # holds the billing contact and the keywords
    ada = ApiCaller(administrator)
    geography = DetailRequirement.objects.get(key="sem_geography")
    billing = DetailRequirement.objects.get(key="billing_contact")

    removed = ada.delete(f"/requirements/{geography.pk}")
    kept = ada.delete(f"/requirements/{billing.pk}")

    assert removed.status_code == 204, removed.content
    assert not DetailRequirement.objects.filter(key="sem_geography").exists()
    assert DetailRequirement.history.filter(key="sem_geography").latest().history_type == "-"
    assert kept.json()["errors"] == {
        "key": [
            "Orders already hold this detail under its key: make it optional instead of "
            "removing it."
        ]
    }
    assert DetailRequirement.objects.filter(key="billing_contact").exists()


def test_removing_the_last_missing_detail_completes_the_collect_step(
    onboarding: PlaybookVersion,
    administrator: User,
    sales_rep: User,
    new_program: ProgramMaker,
) -> None:
    almost = {key: value for key, value in FULL_ORDER.items() if key != "sem_geography"}
    program = _sold(new_program, sales_rep, details=almost)
    _finish(program, "production_meeting", sales_rep)
    assert _task(program, "collect_details").state == TaskState.OPEN
    geography = DetailRequirement.objects.get(key="sem_geography")

    ApiCaller(administrator).delete(f"/requirements/{geography.pk}")

    assert _task(program, "collect_details").state == TaskState.DONE
    assert _task(program, "design_meeting").state == TaskState.OPEN


def test_an_account_manager_may_not_configure_requirements(account_manager: User) -> None:
    amy = ApiCaller(account_manager)
    keywords = DetailRequirement.objects.get(key="sem_keywords")

    answers = [
        amy.post("/requirements", _requirement()),
        amy.patch(f"/requirements/{keywords.pk}", {"label": "Words"}),
        amy.delete(f"/requirements/{keywords.pk}"),
        amy.patch("/requirements/999999", {"label": "Words"}),  # refused before it is looked up
    ]

    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert not DetailRequirement.objects.filter(key="sem_daily_cap").exists()
    keywords.refresh_from_db()
    assert keywords.label == "Keywords"


# Access and the document -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/programs"),
        ("post", "/programs"),
        ("get", "/programs/1"),
        ("patch", "/programs/1/order"),
        ("post", "/programs/1/sold"),
        ("post", "/programs/1/go-live"),
        ("put", "/programs/1/lines"),
        ("get", "/programs/1/missing"),
        ("get", "/programs/1/timings"),
        ("post", "/programs/1/proofs"),
        ("post", "/programs/1/links"),
        ("post", "/programs/1/links/send"),
        ("post", "/links/1/revoke"),
        ("get", "/onboarding/board"),
        ("get", "/requirements"),
        ("post", "/requirements"),
        ("patch", "/requirements/1"),
        ("delete", "/requirements/1"),
    ],
)
def test_staff_endpoints_need_a_token(db: None, method: str, path: str) -> None:
    caller = ApiCaller(None)

    if method in ("get", "delete"):
        response = getattr(caller, method)(path)
    else:
        response = getattr(caller, method)(path, {})

    assert response.status_code == 401


def test_the_openapi_document_describes_onboarding(account_manager: User) -> None:
    document = ApiCaller(account_manager).get("/openapi.json").json()

    for path in (
        "/api/v1/programs",
        "/api/v1/programs/{program_id}",
        "/api/v1/programs/{program_id}/order",
        "/api/v1/programs/{program_id}/lines",
        "/api/v1/programs/{program_id}/sold",
        "/api/v1/programs/{program_id}/go-live",
        "/api/v1/programs/{program_id}/missing",
        "/api/v1/programs/{program_id}/timings",
        "/api/v1/programs/{program_id}/proofs",
        "/api/v1/programs/{program_id}/links",
        "/api/v1/programs/{program_id}/links/send",
        "/api/v1/links/{link_id}/revoke",
        "/api/v1/onboarding/board",
        "/api/v1/requirements",
        "/api/v1/requirements/{requirement_id}",
        "/api/v1/portal/{token}",
        "/api/v1/portal/{token}/details",
        "/api/v1/portal/{token}/proofs/{version_id}/decision",
    ):
        assert path in document["paths"], path
    assert document["paths"]["/api/v1/programs"]["get"]["security"]
    assert not document["paths"]["/api/v1/portal/{token}"]["get"].get("security")
