"""The change-request pages: raising from the client page, the request page's actions
(submit only for those the escalation allows, withdraw with a reason), the planner and
its export, the monthly view, the reports, and the reasons administrators keep. Each
refusal has its test."""

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.changes import services
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ApprovalRoute, ChangeReason, ChangeRequest
from retainops.clients.models import Client, ServiceLine
from retainops.clients.testing import ClientFactory
from retainops.core.models import User
from retainops.messaging.models import Message
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Run, Task, Timer
from retainops.playbooks.services import publish_playbook
from retainops.playbooks.timers import fire_all_due

from .conftest import EFFECTIVE, approval_only

pytestmark = pytest.mark.usefixtures("approval_playbook", "lists")

Raise = Callable[..., ChangeRequest]
SUBMIT = "Submit for approval"


@pytest.fixture
def raise_request(harbor: Client, account_manager: User, budget_cut: ChangeReason) -> Raise:
    def make(kind: str = "cancellation", by: User | None = None, **fields: object) -> ChangeRequest:
        options: dict = {
            "escalation": "team_lead",
            "effective_date": EFFECTIVE,
            "notes": "Client cuts its budget in the new year.",
            **fields,
        }
        return services.raise_change_request(
            by=by or account_manager, client=harbor, kind=kind, reason=budget_cut, **options
        )

    return make


def as_(client: HttpClient, user: User) -> HttpClient:
    client.force_login(user)
    return client


def page_of(change: ChangeRequest) -> str:
    return reverse("changes:detail", args=[change.pk])


def action(name: str, change: ChangeRequest) -> str:
    return reverse(f"changes:{name}", args=[change.pk])


def section(html: str, label: str) -> str:
    """The HTML of the page's <section> with this aria-label."""
    found = re.search(
        rf'<section[^>]*aria-label="{re.escape(label)}"[^>]*>(.*?)</section>', html, re.S
    )
    assert found, f"no section {label!r} on the page"
    return found.group(1)


def flashed(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def run_of(change: ChangeRequest) -> Run:
    return Run.objects.filter(subject_type="change_request", subject_id=change.pk).latest("id")


# Raising --------------------------------------------------------------------------------


def test_an_account_manager_raises_a_cancellation_from_the_client_page(
    client: HttpClient, account_manager: User, harbor: Client, budget_cut: ChangeReason
):
    as_(client, account_manager)
    client_page = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    new_url = reverse("changes:create", args=[harbor.pk])
    assert f'href="{new_url}"' in section(client_page, "Change requests")
    assert "No change request for this client." in client_page

    response = client.post(
        new_url,
        {
            "kind": "cancellation",
            "reason": budget_cut.pk,
            "escalation": "department_manager",
            "effective_date": "2026-12-31",
            "credit_amount": "0",
            "leaves_platform": "on",
            "notes": "Moving everything in-house.",
        },
        follow=True,
    )

    change = ChangeRequest.objects.get(client=harbor)
    assert response.redirect_chain[-1][0] == page_of(change)
    assert (change.kind, change.escalation, change.leaves_platform) == (
        "cancellation",
        "department_manager",
        True,
    )
    notes = section(response.content.decode(), "Consolidated change notes")
    assert "Moving everything in-house." in notes and "Reducing the marketing budget" in notes
    card = section(
        client.get(reverse("clients:detail", args=[harbor.pk])).content.decode(), "Change requests"
    )
    assert page_of(change) in card and "Draft" in card


def test_a_contract_change_names_its_lines_on_the_form(
    client: HttpClient, account_manager: User, harbor: Client, budget_cut: ChangeReason
):
    ott = ServiceLine.objects.get(code="ott")
    data = {
        "kind": "contract_change",
        "reason": budget_cut.pk,
        "escalation": "team_lead",
        "effective_date": "2026-12-01",
        "credit_amount": "0",
    }
    url = reverse("changes:create", args=[harbor.pk])

    refused = as_(client, account_manager).post(url, data)
    assert refused.status_code == 400
    assert "names the services it adds" in refused.content.decode()
    assert not ChangeRequest.objects.exists()

    client.post(
        url, {**data, "line0_service": ott.pk, "line0_action": "add", "line0_budget": "800"}
    )
    [line] = ChangeRequest.objects.get().lines.all()
    assert (line.service, line.action, line.monthly_budget) == (ott, "add", Decimal("800.00"))


def test_a_service_agent_may_not_raise_a_request(
    client: HttpClient, service_agent: User, harbor: Client
):
    as_(client, service_agent)
    client_page = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()

    assert "Raise a change request" not in client_page
    assert client.get(reverse("changes:create", args=[harbor.pk])).status_code == 403


# The request page -----------------------------------------------------------------------


def test_the_account_manager_sees_submit_and_submitting_starts_the_run_shown(
    client: HttpClient, account_manager: User, raise_request: Raise
):
    change = raise_request(credit_amount=Decimal("250.00"))
    as_(client, account_manager)
    assert SUBMIT in client.get(page_of(change)).content.decode()

    response = client.post(action("submit", change), follow=True)

    html = response.content.decode()
    assert "Submitted: the approval chain has started." in flashed(response)
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.SUBMITTED
    approvals = section(html, "Approvals")
    run = run_of(change)
    assert reverse("playbooks:run", args=[run.pk]) in approvals
    first = Task.objects.get(run=run, step_key="first_approval")
    assert reverse("playbooks:task", args=[first.pk]) in approvals
    assert "First approval" in approvals and "Director approval" in approvals
    assert SUBMIT not in html


def _step_row(html: str, title: str) -> str:
    row = re.search(rf"<tr[^>]*>\s*<td><a [^>]*>{re.escape(title)}</a>.*?</tr>", html, re.S)
    assert row, f"no step {title!r}"
    return row.group(0)


def test_the_chain_shows_finance_skipped_without_a_credit_not_waiting(
    client: HttpClient, account_manager: User, raise_request: Raise
):
    without = raise_request()
    with_credit = raise_request(credit_amount=Decimal("250.00"))
    for change in (without, with_credit):
        services.submit_change_request(by=account_manager, request=change)
    as_(client, account_manager)

    approvals = section(client.get(page_of(without)).content.decode(), "Approvals")
    run_page = client.get(reverse("playbooks:run", args=[run_of(without).pk])).content.decode()
    for html in (approvals, run_page):
        finance = _step_row(html, "Finance approves the credit")
        assert "Skipped: no credit is issued" in finance
        assert "Waiting for earlier steps" not in finance
        assert "Waiting for earlier steps" in _step_row(html, "Director approval")
    assert "Skipped: only a cancellation is offboarded" not in approvals

    credited = section(client.get(page_of(with_credit)).content.decode(), "Approvals")
    finance = _step_row(credited, "Finance approves the credit")
    assert "Waiting for earlier steps" in finance and "Skipped" not in finance


def test_after_a_retention_call_only_the_retention_team_is_offered_submit(
    client: HttpClient, account_manager: User, retention_rep: User, raise_request: Raise
):
    change = raise_request(escalation="retention_team")
    services.record_save_attempt(by=retention_rep, request=change, outcome="lost", notes="Firm")

    am_page = as_(client, account_manager).get(page_of(change)).content.decode()
    assert SUBMIT not in am_page
    assert "The retention team was involved" in am_page
    assert client.post(action("submit", change)).status_code == 403
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.DRAFT

    rep_page = as_(client, retention_rep).get(page_of(change)).content.decode()
    assert SUBMIT in rep_page
    assert "Lost" in section(rep_page, "Save attempts")
    client.post(action("submit", change))
    assert ChangeRequest.objects.get(pk=change.pk).submitted_by == retention_rep


def test_a_save_attempt_is_recorded_and_the_retention_team_hands_over(
    client: HttpClient, account_manager: User, retention_rep: User, raise_request: Raise
):
    change = raise_request(escalation="retention_team")
    as_(client, retention_rep)

    client.post(action("save_attempt", change), {"outcome": "saved", "notes": "Stays a year"})
    client.post(action("hand_over", change), {"to": account_manager.pk})

    change.refresh_from_db()
    assert [s.outcome for s in change.saves.all()] == ["saved"]
    assert change.assigned_to == account_manager
    am_page = as_(client, account_manager).get(page_of(change)).content.decode()
    assert SUBMIT in am_page and 'aria-label="Hand over"' not in am_page


def test_the_call_form_preselects_no_outcome_and_sent_unchanged_records_nothing(
    client: HttpClient, retention_rep: User, raise_request: Raise
):
    change = raise_request(escalation="retention_team")
    as_(client, retention_rep)
    page = client.get(page_of(change)).content.decode()
    form = re.search(r'aria-label="Record a save attempt">(.*?)</form>', page, re.S)
    assert form
    selected = re.findall(r'<option value="([^"]*)"[^>]*selected', form.group(1))
    assert selected == [""]

    # What the browser sends when "Record the call" is pressed on the form as it came.
    response = client.post(
        action("save_attempt", change), {"outcome": "", "notes": ""}, follow=True
    )

    assert "Choose how the call ended." in flashed(response)
    assert not change.saves.exists()


def _approved(change: ChangeRequest, by: User, approver: User, manager: User) -> ChangeRequest:
    services.submit_change_request(by=by, request=change)
    for key, who in (("first_approval", approver), ("second_approval", manager)):
        task = Task.objects.get(run=run_of(change), step_key=key)
        playbooks.decide_approval(by=who, task=task, decision="approved")
    return ChangeRequest.objects.get(pk=change.pk)


def test_the_call_hand_over_and_withdraw_forms_go_once_the_request_is_approved(
    client: HttpClient,
    account_manager: User,
    retention_rep: User,
    approver: User,
    department_manager: User,
    raise_request: Raise,
):
    change = raise_request()
    forms = (
        'aria-label="Record a save attempt"',
        'aria-label="Hand over"',
        'aria-label="Withdraw"',
    )
    draft = section(
        as_(client, retention_rep).get(page_of(change)).content.decode(), "Save attempts"
    )
    assert all(form in draft for form in forms)

    change = _approved(change, account_manager, approver, department_manager)
    assert change.status == ChangeStatus.APPROVED

    for who in (retention_rep, account_manager):
        saves = section(as_(client, who).get(page_of(change)).content.decode(), "Save attempts")
        assert not [form for form in forms if form in saves]
    refused = as_(client, retention_rep).post(
        action("save_attempt", change), {"outcome": "saved"}, follow=True
    )
    assert any("no longer recorded" in message for message in flashed(refused))
    assert not change.saves.exists()


def test_a_call_made_earlier_is_recorded_at_the_time_given_on_the_form(
    client: HttpClient, retention_rep: User, raise_request: Raise, clock: time_machine.Traveller
):
    change = raise_request(escalation="retention_team")  # raised at 09:00 (UTC)
    clock.move_to(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    as_(client, retention_rep)
    form = section(client.get(page_of(change)).content.decode(), "Save attempts")
    assert 'type="datetime-local" name="at"' in form

    client.post(action("save_attempt", change), {"outcome": "saved", "at": "2026-11-24T10:15"})
    future = client.post(
        action("save_attempt", change), {"outcome": "lost", "at": "2026-11-24T16:00"}, follow=True
    )
    garbled = client.post(
        action("save_attempt", change), {"outcome": "lost", "at": "yesterday"}, follow=True
    )

    assert [s.at for s in change.saves.all()] == [datetime(2026, 11, 24, 10, 15, tzinfo=UTC)]
    assert "at: The call cannot be in the future." in flashed(future)
    assert "at: Give the day and time of the call, or leave it empty." in flashed(garbled)
    assert "2026-11-24 10:15" in section(future.content.decode(), "Save attempts")


def test_withdrawing_needs_a_reason(
    client: HttpClient, account_manager: User, raise_request: Raise
):
    change = raise_request()
    as_(client, account_manager)

    response = client.post(action("withdraw", change), {"reason": "  "}, follow=True)
    assert "reason: Say why it is withdrawn." in flashed(response)
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.DRAFT

    response = client.post(action("withdraw", change), {"reason": "Saved by the AM"}, follow=True)
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.WITHDRAWN
    assert "Withdrawn" in response.content.decode()


def test_a_draft_is_edited_and_a_submitted_one_offers_no_edit(
    client: HttpClient, account_manager: User, raise_request: Raise, budget_cut: ChangeReason
):
    change = raise_request()
    as_(client, account_manager)
    form = client.get(action("edit", change)).content.decode()
    assert "Client cuts its budget in the new year." in form

    client.post(
        action("edit", change),
        {
            "reason": budget_cut.pk,
            "effective_date": "2027-01-31",
            "credit_amount": "100",
            "notes": "New date agreed.",
        },
    )
    change.refresh_from_db()
    assert (change.effective_date, change.notes) == (date(2027, 1, 31), "New date agreed.")

    services.submit_change_request(by=account_manager, request=change)
    assert action("edit", change) not in client.get(page_of(change)).content.decode()
    assert client.post(action("edit", change), {"reason": budget_cut.pk}).status_code == 400


def test_another_units_request_is_not_found(
    client: HttpClient, south_account_manager: User, raise_request: Raise
):
    change = raise_request()
    as_(client, south_account_manager)

    assert client.get(page_of(change)).status_code == 404
    assert client.post(action("submit", change)).status_code == 404
    assert "Harbor Dental" not in client.get(reverse("changes:list")).content.decode()


def test_the_offboarding_buttons_show_only_to_whom_the_service_allows(
    client: HttpClient,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    partner: User,
    raise_request: Raise,
    clock: time_machine.Traveller,
):
    change = raise_request(effective_date=date(2026, 11, 20))
    services.submit_change_request(by=account_manager, request=change)
    for key, who in (("first_approval", approver), ("second_approval", department_manager)):
        task = Task.objects.get(run=run_of(change), step_key=key)
        playbooks.decide_approval(by=who, task=task, decision="approved")
    process = Task.objects.get(run=run_of(change), step_key="process")
    playbooks.complete_task(by=accountant, task=process)
    removals = list(change.removals.order_by("tool__name"))
    assert len(removals) == 2

    am_page = section(
        as_(client, account_manager).get(page_of(change)).content.decode(), "Offboarding"
    )
    assert ">Removed</button>" not in am_page and ">Verified</button>" not in am_page
    assert client.post(reverse("changes:removal_done", args=[removals[0].pk])).status_code == 403

    partner_page = section(
        as_(client, partner).get(page_of(change)).content.decode(), "Offboarding"
    )
    assert partner_page.count(">Removed</button>") == 2
    assert ">Verified</button>" not in partner_page
    client.post(reverse("changes:removal_done", args=[removals[0].pk]))

    dm_page = section(
        as_(client, department_manager).get(page_of(change)).content.decode(), "Offboarding"
    )
    assert dm_page.count(">Verified</button>") == 1
    assert dm_page.count(">Removed</button>") == 1
    client.post(reverse("changes:removal_done", args=[removals[1].pk]))

    # Dora removed the second herself: she is offered to verify only the partner's.
    dm_page = section(client.get(page_of(change)).content.decode(), "Offboarding")
    verify = reverse("changes:removal_verified", args=[removals[1].pk])
    assert dm_page.count(">Verified</button>") == 1 and verify not in dm_page
    assert client.post(verify).status_code == 403
    assert change.removals.get(pk=removals[1].pk).state == "removed"


# Planner, monthly view, reports ---------------------------------------------------------


def test_the_planner_lists_filters_and_exports_pauses_and_cancellations(
    client: HttpClient, account_manager: User, north, raise_request: Raise
):
    cancellation = raise_request(effective_date=date(2027, 1, 31))
    pause = raise_request("pause", effective_date=date(2027, 1, 15))
    raise_request("retention")
    for change in (cancellation, pause):
        services.submit_change_request(by=account_manager, request=change)
    as_(client, account_manager)

    html = client.get(reverse("changes:planner")).content.decode()
    assert html.index("2027-01-15") < html.index("2027-01-31")
    assert "Retention" not in section_table(html)
    only_pauses = client.get(reverse("changes:planner"), {"kind": "pause", "unit": north.pk})
    assert "2027-01-15" in only_pauses.content.decode()
    assert "2027-01-31" not in only_pauses.content.decode()

    export = client.get(reverse("changes:planner_export"), {"kind": "pause"})
    assert export["Content-Type"].startswith("text/csv")
    assert export["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:5] == ["client", "business_unit", "kind", "status", "effective_date"]
    assert rows[1][:6] == [
        "Harbor Dental",
        "North Media",
        "Pause",
        "In approval",
        "2027-01-15",
        "Reducing the marketing budget",
    ]
    assert len(rows) == 2


def test_the_units_tracker_shows_a_request_in_effect_once_its_date_passes_and_no_other_unit(
    clock: time_machine.Traveller,
    client: HttpClient,
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    north,
    south,
    south_account_manager: User,
    budget_cut: ChangeReason,
):
    pause = raise_request("pause", effective_date=date(2026, 12, 1))
    services.submit_change_request(by=account_manager, request=pause)
    for key, by in (("first_approval", approver), ("second_approval", department_manager)):
        playbooks.decide_approval(by=by, task=task_of(pause, key), decision="approved")
    playbooks.complete_task(by=accountant, task=task_of(pause, "process"))
    summit = ClientFactory.create(name="Summit Roofing", business_unit=south)
    south_pause = services.raise_change_request(
        by=south_account_manager,
        client=summit,
        kind="pause",
        reason=budget_cut,
        escalation="team_lead",
        effective_date=date(2026, 12, 1),
    )
    services.submit_change_request(by=south_account_manager, request=south_pause)
    tracker = reverse("changes:planner")
    before = as_(client, account_manager).get(tracker, {"unit": north.pk}).content.decode()
    assert "In effect" not in section_table(before)

    clock.move_to(datetime(2026, 12, 1, 9, tzinfo=UTC))
    call_command("tick", stdout=io.StringIO())

    north_tracker = as_(client, account_manager).get(tracker, {"unit": north.pk})
    rows = section_table(north_tracker.content.decode())
    assert "Harbor Dental" in rows and "In effect" in rows and "2026-12-01" in rows
    assert "Summit Roofing" not in rows
    asking_for_south = client.get(tracker, {"unit": south.pk}).content.decode()
    assert "Summit Roofing" not in asking_for_south
    south_tracker = as_(client, south_account_manager).get(tracker, {"unit": south.pk})
    south_rows = section_table(south_tracker.content.decode())
    assert "Summit Roofing" in south_rows and "Harbor Dental" not in south_rows


def task_of(change: ChangeRequest, key: str) -> Task:
    return Task.objects.get(run=run_of(change), step_key=key)


def section_table(html: str) -> str:
    found = re.search(r'<table aria-label="Planner">(.*?)</table>', html, re.S)
    assert found, "no planner table"
    return found.group(1)


def test_the_list_filters_requests_and_paginates(
    client: HttpClient, account_manager: User, raise_request: Raise, settings
):
    settings.PAGE_SIZE = 2
    for _ in range(2):
        raise_request()
    raise_request("pause")
    as_(client, account_manager)

    first = client.get(reverse("changes:list")).content.decode()
    assert "Page 1 of 2" in first and "3 requests" in first
    pauses = client.get(reverse("changes:list"), {"kind": "pause"}).content.decode()
    assert "1 request" in pauses and "Cancellation" not in pauses.split("<tbody>")[1]
    none = client.get(reverse("changes:list"), {"q": "no such client"}).content.decode()
    assert "No request matches these filters." in none


def test_the_monthly_view_lists_an_approved_contract_change_with_its_lines(
    client: HttpClient,
    account_manager: User,
    approver: User,
    department_manager: User,
    raise_request: Raise,
):
    seo = ServiceLine.objects.get(code="seo")
    change = raise_request(
        "contract_change",
        effective_date=date(2027, 2, 1),
        lines=[services.LineChange(seo, "budget", Decimal("600.00"))],
    )
    services.submit_change_request(by=account_manager, request=change)
    for key, who in (("first_approval", approver), ("second_approval", department_manager)):
        task = Task.objects.get(run=run_of(change), step_key=key)
        playbooks.decide_approval(by=who, task=task, decision="approved")

    html = as_(client, account_manager).get(reverse("changes:monthly")).content.decode()

    month = section(html, "February 2027")
    assert page_of(change) in month
    assert "Change the monthly budget: SEO (600.00 a month)" in month


def test_the_reports_page_shows_the_retention_teams_save_rate_and_how_revenue_is_counted(
    client: HttpClient, account_manager: User, retention_rep: User, raise_request: Raise
):
    for outcome in ("saved", "lost", "paused", "lost"):
        change = raise_request("retention", escalation="retention_team")
        services.record_save_attempt(by=retention_rep, request=change, outcome=outcome)
    by_the_am = raise_request("retention")
    services.record_save_attempt(by=account_manager, request=by_the_am, outcome="saved")

    html = as_(client, account_manager).get(reverse("changes:reports")).content.decode()

    assert re.search(r'id="save-rate">\s*50%', html)
    assert "2 of 4 requests the retention team called on kept the client" in html
    assert "over 4 calls" in html
    assert "calls by account managers do not" in section(html, "Save rate")
    revenue = section(html, "Revenue")
    assert "saved with a change, the new MRR saved (at most the old) and the rest lost" in revenue
    assert "paused, all saved, since the contract resumes at that rate" in revenue
    assert "Reducing the marketing budget" in section(html, "Save rate by reason")
    empty = client.get(reverse("changes:reports"), {"start": "2030-01-01"}).content.decode()
    assert "no attempt yet" in empty


# Configuration --------------------------------------------------------------------------


def test_an_administrator_adds_and_retires_a_reason(client: HttpClient, administrator: User):
    as_(client, administrator)
    client.post(
        reverse("changes:reasons"),
        {"code": "merger", "label": "Merged with another", "is_active": "on"},
    )
    reason = ChangeReason.objects.get(code="merger")
    assert reason.is_active

    client.post(
        f"{reverse('changes:reasons')}?edit={reason.pk}",
        {"code": "merger", "label": "Merged with another firm"},
    )
    reason.refresh_from_db()
    assert (reason.label, reason.is_active) == ("Merged with another firm", False)
    assert "Merged with another firm" in client.get(reverse("changes:reasons")).content.decode()


def test_the_reasons_and_routes_are_refused_to_an_account_manager(
    client: HttpClient, account_manager: User
):
    as_(client, account_manager)

    assert client.get(reverse("changes:reasons")).status_code == 403
    assert client.post(reverse("changes:reasons"), {"code": "x", "label": "X"}).status_code == 403
    assert client.get(reverse("changes:routes")).status_code == 403
    assert not ChangeReason.objects.filter(code="x").exists()


def test_an_administrator_routes_a_unit_to_a_playbook_once(
    client: HttpClient, administrator: User, north, approval_playbook
):
    as_(client, administrator)
    data = {"business_unit": north.pk, "kind": "pause", "playbook": approval_playbook.playbook.pk}

    client.post(reverse("changes:routes"), data)
    again = client.post(reverse("changes:routes"), data)

    assert again.status_code == 400
    assert "exists already" in again.content.decode()
    html = client.get(reverse("changes:routes")).content.decode()
    assert "North Media" in html and "Pause" in html


def test_a_route_to_a_chain_that_stops_at_approval_is_refused_naming_what_it_lacks(
    client: HttpClient, administrator: User, north, ops_lead: User
):
    stops = publish_playbook(by=ops_lead, source=approval_only("north-pauses")).playbook
    as_(client, administrator)

    response = client.post(
        reverse("changes:routes"),
        {"business_unit": north.pk, "kind": "pause", "playbook": stops.pk},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "does not carry a request through after approval" in html
    assert "accounting&#x27;s processing (on_done: mark_processed)" in html
    assert not ApprovalRoute.objects.exists()


def test_the_navigation_leads_to_the_change_requests(
    client: HttpClient, account_manager: User, north
):
    ClientFactory.create(name="Quiet Co", business_unit=north)
    html = as_(client, account_manager).get(reverse("clients:list")).content.decode()

    assert f'href="{reverse("changes:list")}"' in html
    listing = client.get(reverse("changes:list")).content.decode()
    assert "No change request yet." in listing
    assert reverse("changes:planner") in listing and reverse("changes:reports") in listing


# What people read: names, not the keys behind them ---------------------------------------

KEYS = ("change_request.submitted", "change-approval", "prepare_department", "give_notice")


def test_the_chain_reads_in_words_on_the_outbox_timeline_run_and_request_pages(
    client: HttpClient,
    account_manager: User,
    approver: User,
    department_manager: User,
    ops_lead: User,
    raise_request: Raise,
    clock: time_machine.Traveller,
):
    change = raise_request(effective_date=EFFECTIVE)
    services.submit_change_request(by=account_manager, request=change)
    for key, who in (("first_approval", approver), ("second_approval", department_manager)):
        playbooks.decide_approval(by=who, task=task_of(change, key), decision="approved")
    # The department's first reminder: its message's cause names the step by its key.
    reminder = Timer.objects.filter(task=task_of(change, "prepare_department")).earliest("due_at")
    clock.move_to(reminder.due_at)
    fire_all_due(now=reminder.due_at)
    assert Message.objects.filter(cause="playbook change-approval: prepare_department").exists()
    run = run_of(change)
    as_(client, ops_lead)

    outbox = client.get(reverse("messaging:outbox")).content.decode()
    timeline = client.get(reverse("playbooks:timeline", args=[change.client_id])).content.decode()
    run_page = client.get(reverse("playbooks:run", args=[run.pk])).content.decode()
    request_page = client.get(page_of(change)).content.decode()
    client_page = client.get(reverse("clients:detail", args=[change.client_id])).content.decode()

    approval = "Change request approval and follow-through"
    assert f"{approval}: Prepare the department for the effective date" in outbox
    assert f"{approval}: Tell operations, with the change notes" in outbox
    assert f"{approval} started when a request is submitted for approval" in timeline
    assert "when a request is submitted for approval" in run_page
    assert "Cancellation notice given (change request" in client_page
    for page in (outbox, timeline, run_page, request_page, client_page):
        for key in KEYS:
            assert key not in _text(page), key


def _text(html: str) -> str:
    """What the page says: its text, without the tags and their attributes (urls hold keys)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_an_approval_is_not_called_an_approval_twice_in_my_work(
    client: HttpClient,
    account_manager: User,
    department_manager: User,
    approver: User,
    raise_request: Raise,
):
    change = raise_request()
    services.submit_change_request(by=account_manager, request=change)
    playbooks.decide_approval(
        by=approver, task=task_of(change, "first_approval"), decision="approved"
    )

    html = as_(client, department_manager).get(reverse("playbooks:my_work")).content.decode()

    row = re.search(r"<td><a [^>]*>Director approval</a>(.*?)</td>", html, re.S)
    assert row, "the director's approval is not in My work"
    assert "approval" not in _text(row.group(1))


def test_the_list_counts_statuses_under_the_other_filters_as_links(
    client: HttpClient, account_manager: User, raise_request: Raise
):
    submitted = raise_request()
    services.submit_change_request(by=account_manager, request=submitted)
    raise_request()
    raise_request("pause")
    as_(client, account_manager)

    page = client.get(reverse("changes:list"), {"kind": "cancellation"}).content.decode()
    counts = re.search(r'<nav id="status-counts"[^>]*>(.*?)</nav>', page, re.S)
    assert counts, "no status counts"
    links = dict(re.findall(r'href="\?([^"]*)"[^>]*>([^<]*)<strong>', counts.group(1)))
    by_label = {label.strip(): query.replace("&amp;", "&") for query, label in links.items()}
    assert "Draft <strong>1</strong>" in counts.group(1)  # the pause is filtered out
    assert "In approval <strong>1</strong>" in counts.group(1)
    assert by_label["In approval"] == "kind=cancellation&status=submitted"

    chosen = client.get(reverse("changes:list") + "?" + by_label["In approval"]).content.decode()
    assert chosen.count(f'href="/changes/{submitted.pk}/"') == 1
    assert 'aria-current="true">In approval' in chosen
