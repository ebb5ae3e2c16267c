"""The escalation pathway: raising a request, the retention call, who submits, the
approval chain (finance only with a credit; never the requester; once each), rejection
back to the submitter, what follows approval, the effective date, and offboarding."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from retainops.changes import services
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ChangeReason, ChangeRequest, Removal
from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import Client, ClientTool, ContractLine, ServiceLine
from retainops.core.models import Role, User
from retainops.messaging.models import Message
from retainops.messaging.testing import SmtpPeer
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import EventKind, RunState, TaskState, TimerKind
from retainops.playbooks.models import Run, Task, TimelineEvent, Timer

from .conftest import EFFECTIVE, START

pytestmark = pytest.mark.usefixtures("approval_playbook", "lists")

Raise = Callable[..., ChangeRequest]


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


def run_of(request: ChangeRequest) -> Run:
    return Run.objects.filter(subject_type="change_request", subject_id=request.pk).latest("id")


def step(request: ChangeRequest, key: str) -> Task:
    return Task.objects.get(run=run_of(request), step_key=key)


def decide(
    request: ChangeRequest, key: str, by: User, decision: str = "approved", comment: str = ""
) -> None:
    playbooks.decide_approval(by=by, task=step(request, key), decision=decision, comment=comment)


def approve_all(request: ChangeRequest, approver: User, department_manager: User) -> None:
    decide(request, "first_approval", approver)
    decide(request, "second_approval", department_manager)


def tick(at=None) -> str:
    output = StringIO()
    args = ["--at", at.isoformat()] if at else []
    call_command("tick", *args, stdout=output)
    return output.getvalue()


# Raising and submitting -----------------------------------------------------------------


def test_an_account_manager_raises_a_request_at_once_with_the_escalation_chosen(
    raise_request: Raise, harbor: Client, account_manager: User
):
    request = raise_request("pause", escalation="department_manager", credit_amount=Decimal("0"))

    assert (request.status, request.escalation, request.raised_by) == (
        ChangeStatus.DRAFT,
        "department_manager",
        account_manager,
    )
    assert request.mrr_before == Decimal("3000.00")


def test_a_contract_change_names_its_lines_and_a_service_agent_cannot_raise(
    raise_request: Raise, service_agent: User
):
    with pytest.raises(ValidationError, match="names the services"):
        raise_request("contract_change")
    with pytest.raises(PermissionDenied):
        raise_request("pause", by=service_agent)


def test_after_a_retention_call_only_the_retention_team_submits(
    raise_request: Raise, account_manager: User, retention_rep: User
):
    request = raise_request(escalation="retention_team")
    services.record_save_attempt(by=retention_rep, request=request, outcome="lost", notes="Firm")

    with pytest.raises(PermissionDenied, match="retention team"):
        services.submit_change_request(by=account_manager, request=request)
    services.submit_change_request(by=retention_rep, request=request)

    request.refresh_from_db()
    assert (request.status, request.submitted_by) == (ChangeStatus.SUBMITTED, retention_rep)
    assert run_of(request).requested_by == retention_rep


def test_without_the_retention_team_the_account_manager_submits(
    raise_request: Raise, account_manager: User, retention_rep: User, csm_in_unit: User
):
    request = raise_request(escalation="team_lead")

    with pytest.raises(PermissionDenied):
        services.submit_change_request(by=csm_in_unit, request=request)
    services.submit_change_request(by=account_manager, request=request)

    assert run_of(request).state == RunState.RUNNING


@pytest.fixture
def csm_in_unit(north) -> User:
    from retainops.core.testing import UserFactory

    return UserFactory.create(roles=["client_success_manager"], units=[north])


def test_a_change_the_retention_team_hands_over_is_submitted_by_that_account_manager(
    raise_request: Raise,
    retention_rep: User,
    account_manager: User,
):
    display = ServiceLine.objects.get(code="targeted-display")
    lines = [services.LineChange(display, "budget", Decimal("1200.00"))]
    request = raise_request(
        "contract_change", by=retention_rep, escalation="retention_team", lines=lines
    )
    services.record_save_attempt(by=retention_rep, request=request, outcome="saved_with_change")

    services.hand_to_account_manager(by=retention_rep, request=request, to=account_manager)
    services.submit_change_request(by=account_manager, request=request)

    assert ChangeRequest.objects.get(pk=request.pk).submitted_by == account_manager


# The approval chain ---------------------------------------------------------------------


def also_an_approver(person: User) -> User:
    """Give a person the approver role too, in the unit they work in."""
    person.roles.add(Role.objects.get(code="approver"))
    person.forget_cached_access()
    return person


def test_the_requester_never_approves_and_each_approver_acts_once(
    raise_request: Raise, account_manager: User, approver: User, department_manager: User
):
    amy = also_an_approver(account_manager)
    request = raise_request()
    services.submit_change_request(by=amy, request=request)
    first = step(request, "first_approval")
    assert first.queue_role == "approver"  # Amy is in the queue: she holds the role in North

    with pytest.raises(PermissionDenied, match="You asked for this"):
        decide(request, "first_approval", amy)
    assert step(request, "first_approval").state == TaskState.OPEN
    decide(request, "first_approval", approver)
    with pytest.raises(ValidationError, match="not open"):
        decide(request, "first_approval", approver)
    assert step(request, "second_approval").state == TaskState.OPEN


def test_the_person_who_raised_a_request_never_approves_it_though_another_submitted_it(
    raise_request: Raise, retention_rep: User, account_manager: User, approver: User
):
    rita = also_an_approver(retention_rep)
    display = ServiceLine.objects.get(code="targeted-display")
    lines = [services.LineChange(display, "budget", Decimal("1200.00"))]
    request = raise_request("contract_change", by=rita, escalation="retention_team", lines=lines)
    services.record_save_attempt(by=rita, request=request, outcome="saved_with_change")
    services.hand_to_account_manager(by=rita, request=request, to=account_manager)
    services.submit_change_request(by=account_manager, request=request)

    with pytest.raises(PermissionDenied, match="You asked for this"):
        decide(request, "first_approval", rita)
    assert step(request, "first_approval").state == TaskState.OPEN
    decide(request, "first_approval", approver)
    assert step(request, "first_approval").closed_by == approver


def test_finance_approves_only_when_a_credit_is_issued(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    finance: User,
):
    without = raise_request()
    with_credit = raise_request(credit_amount=Decimal("750.00"))
    for request in (without, with_credit):
        services.submit_change_request(by=account_manager, request=request)
        approve_all(request, approver, department_manager)

    skipped = step(without, "finance_approval")
    assert skipped.state == TaskState.SKIPPED
    assert skipped.skip_reason == "no credit is issued"  # the step's words, not its condition
    assert ChangeRequest.objects.get(pk=without.pk).status == ChangeStatus.APPROVED
    assert step(with_credit, "finance_approval").state == TaskState.OPEN
    assert ChangeRequest.objects.get(pk=with_credit.pk).status == ChangeStatus.SUBMITTED
    decide(with_credit, "finance_approval", finance)
    assert ChangeRequest.objects.get(pk=with_credit.pk).status == ChangeStatus.APPROVED


def test_a_rejection_returns_the_request_to_its_submitter_with_the_reason(
    raise_request: Raise, account_manager: User, approver: User
):
    request = raise_request()
    services.submit_change_request(by=account_manager, request=request)

    decide(
        request, "first_approval", approver, "rejected", "The client is under contract until June"
    )

    request.refresh_from_db()
    assert request.status == ChangeStatus.RETURNED
    assert request.returned_reason.endswith("The client is under contract until June")
    assert run_of(request).state == RunState.REJECTED
    returned = Message.objects.get(subject__startswith="Returned:")
    assert [r.address for r in returned.recipients.all()] == [account_manager.email]

    services.submit_change_request(by=account_manager, request=request)
    assert run_of(request).state == RunState.RUNNING
    assert Run.objects.filter(subject_type="change_request", subject_id=request.pk).count() == 2


# After approval ---------------------------------------------------------------------------


def test_approval_tells_the_list_tasks_operations_and_reminds_the_department(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    ops_lead: User,
    harbor: Client,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    request = raise_request()
    services.submit_change_request(by=account_manager, request=request)
    approve_all(request, approver, department_manager)
    tick()

    [notice] = [m for m in smtp.received if m.subject.startswith("Approved:")]
    assert sorted(notice.envelope_to) == sorted([ops_lead.email, department_manager.email])
    assert f"/changes/{request.pk}/" in notice.part("text/plain")
    assert "Client cuts its budget" in notice.part("text/plain")
    assert step(request, "hand_to_department").assignee is None
    assert step(request, "hand_to_department").queue_role == "operations_lead"
    harbor.refresh_from_db()
    assert harbor.status == ClientStatus.CANCELLING
    reminders = Timer.objects.filter(
        task=step(request, "prepare_department"), kind=TimerKind.REMIND
    )
    assert sorted(t.due_at.date() for t in reminders) == [
        EFFECTIVE - timedelta(days=14),
        EFFECTIVE - timedelta(days=7),
        EFFECTIVE - timedelta(days=1),
    ]


def test_reminders_the_worker_reaches_too_late_are_recorded_missed_not_sent(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    clock: time_machine.Traveller,
    settings: Any,
):
    """The worker stopped before the 14-day reminder: started again 7 days and 2 hours
    before the date, it sends the 7-day one (within the 6-hour grace) but not the stale
    14-day one; started again after the date, the 1-day one is missed too."""
    settings.REMINDER_GRACE_HOURS = 6
    request = raise_request()
    services.submit_change_request(by=account_manager, request=request)
    approve_all(request, approver, department_manager)
    tick()  # the approval's notices go; the reminders are weeks away
    task = step(request, "prepare_department")
    fourteen, seven, one = Timer.objects.filter(task=task, kind=TimerKind.REMIND).order_by("due_at")

    def reminders_sent() -> int:
        return Message.objects.filter(subject__startswith="Reminder: Prepare").count()

    assert reminders_sent() == 0
    clock.move_to(seven.due_at + timedelta(hours=2))
    tick()  # the one sweep after the stop

    fourteen.refresh_from_db()
    seven.refresh_from_db()
    assert fourteen.missed_at is not None and fourteen.fired_at is not None
    assert fourteen.outcome.startswith("missed: not sent")
    assert seven.missed_at is None and seven.outcome.startswith("message ")
    assert reminders_sent() == 1
    [missed] = TimelineEvent.objects.filter(task=task, kind=EventKind.REMINDER_MISSED)
    assert "not sent" in missed.summary and "6-hour grace" in missed.summary

    clock.move_to(datetime.combine(EFFECTIVE, time(12), tzinfo=UTC) + timedelta(days=1))
    tick()

    one.refresh_from_db()
    assert one.missed_at is not None
    assert reminders_sent() == 1  # nothing went out after the date
    assert TimelineEvent.objects.filter(task=task, kind=EventKind.REMINDER_MISSED).count() == 2


def _approve_and_process(request, account_manager, approver, department_manager, accountant):
    services.submit_change_request(by=account_manager, request=request)
    approve_all(request, approver, department_manager)
    playbooks.complete_task(by=accountant, task=step(request, "process"))


def test_on_the_effective_date_a_cancellation_takes_effect_and_is_offboarded(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    partner: User,
    ops_lead: User,
    harbor: Client,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    request = raise_request()
    _approve_and_process(request, account_manager, approver, department_manager, accountant)
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.PROCESSED

    tick(START + timedelta(days=36))  # the day before: nothing changes yet
    assert Client.objects.get(pk=harbor.pk).status == ClientStatus.CANCELLING
    clock.move_to(START + timedelta(days=37))  # 2026-12-31 09:00, past the effective date
    tick()

    harbor.refresh_from_db()
    assert harbor.status == ClientStatus.CANCELLED
    assert set(harbor.contracts.values_list("status", flat=True)) == {ContractStatus.CANCELLED}
    request.refresh_from_db()
    assert (request.status, request.mrr_after) == (ChangeStatus.EFFECTIVE, Decimal("0"))
    removals = Removal.objects.filter(request=request)
    assert sorted(r.tool.code for r in removals) == ["ad-platform", "project-board"]

    for removal in removals:
        with pytest.raises(PermissionDenied):
            services.verify_removal(by=partner, removal=removal)
        services.mark_removed(by=partner, removal=removal)
    assert step(request, "remove_from_tools").state == TaskState.DONE
    for removal in removals:
        services.verify_removal(by=department_manager, removal=removal)
    assert step(request, "verify_removals").state == TaskState.DONE
    tick()

    [vendor] = [m for m in smtp.received if m.subject.startswith("Cancellation:")]
    assert vendor.envelope_to == ["west@vendor.example"]
    assert (
        "Please be advised Harbor Dental will cancel, effective 31 December 2026, "
        "for reducing the marketing budget" in vendor.part("text/plain")
    )
    still_open = set(
        run_of(request).tasks.filter(state=TaskState.OPEN).values_list("step_key", flat=True)
    )
    assert still_open == {"hand_to_department", "prepare_department"}
    playbooks.complete_task(by=ops_lead, task=step(request, "hand_to_department"))
    playbooks.complete_task(by=department_manager, task=step(request, "prepare_department"))
    assert run_of(request).state == RunState.COMPLETED


def test_a_client_leaving_the_platform_is_removed_from_platform_tools_too(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    clock: time_machine.Traveller,
):
    request = raise_request(leaves_platform=True, effective_date=date(2026, 11, 20))
    _approve_and_process(request, account_manager, approver, department_manager, accountant)

    codes = sorted(Removal.objects.filter(request=request).values_list("tool__code", flat=True))
    assert codes == ["ad-platform", "crm", "project-board"]


def test_a_pause_keeps_every_tool_and_pauses_the_client_on_its_date(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    harbor: Client,
    clock: time_machine.Traveller,
):
    request = raise_request("pause", effective_date=date(2026, 11, 24))
    _approve_and_process(request, account_manager, approver, department_manager, accountant)

    harbor.refresh_from_db()
    assert harbor.status == ClientStatus.PAUSED
    assert set(harbor.contracts.values_list("status", flat=True)) == {ContractStatus.PAUSED}
    assert not Removal.objects.filter(request=request).exists()
    assert step(request, "remove_from_tools").state == TaskState.SKIPPED
    assert ClientTool.objects.filter(client=harbor).count() == 3


def test_a_contract_change_changes_the_lines_on_its_date(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    harbor: Client,
    clock: time_machine.Traveller,
):
    services_ = {
        code: ServiceLine.objects.get(code=code) for code in ("seo", "ott", "targeted-display")
    }
    lines = [
        services.LineChange(services_["seo"], "remove"),
        services.LineChange(services_["ott"], "add", Decimal("800.00")),
        services.LineChange(services_["targeted-display"], "budget", Decimal("1500.00")),
    ]
    request = raise_request("contract_change", lines=lines, effective_date=date(2026, 11, 24))
    _approve_and_process(request, account_manager, approver, department_manager, accountant)

    budgets = dict(
        ContractLine.objects.filter(contract__client=harbor).values_list(
            "service__code", "monthly_budget"
        )
    )
    assert budgets == {"ott": Decimal("800.00"), "targeted-display": Decimal("1500.00")}
    request.refresh_from_db()
    assert (request.mrr_before, request.mrr_after) == (Decimal("3000.00"), Decimal("2300.00"))
    assert Client.objects.get(pk=harbor.pk).status == ClientStatus.ACTIVE


def test_withdrawing_stops_the_request_and_its_run(raise_request: Raise, account_manager: User):
    request = raise_request()
    services.submit_change_request(by=account_manager, request=request)

    with pytest.raises(ValidationError, match="Say why"):
        services.withdraw_change_request(by=account_manager, request=request, reason="")
    services.withdraw_change_request(by=account_manager, request=request, reason="Saved by AM")

    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.WITHDRAWN
    assert run_of(request).state == RunState.CANCELLED
    assert not Removal.objects.filter(request=request).exists()


# Planner and reports ----------------------------------------------------------------------


def test_the_planner_lists_pauses_and_cancellations_by_effective_date_and_exports_them(
    raise_request: Raise, account_manager: User, south_account_manager: User
):
    from retainops.changes import queries

    cancellation = raise_request(effective_date=date(2027, 1, 31))
    pause = raise_request("pause", effective_date=date(2027, 1, 15))
    raise_request("retention")
    for request in (cancellation, pause):
        services.submit_change_request(by=account_manager, request=request)

    planned = list(queries.planner(account_manager, queries.RequestFilters()))
    only_pauses = queries.planner(account_manager, queries.RequestFilters(kind="pause"))

    assert planned == [pause, cancellation]
    assert list(only_pauses) == [pause]
    assert not queries.planner(south_account_manager, queries.RequestFilters()).exists()
    header, first, _second = queries.planner_rows(
        queries.planner(account_manager, queries.RequestFilters())
    )
    assert header[:5] == ["client", "business_unit", "kind", "status", "effective_date"]
    assert first[:5] == ["Harbor Dental", "North Media", "Pause", "In approval", "2027-01-15"]


def test_reports_give_the_save_rate_cycle_times_and_revenue_saved_and_lost(
    raise_request: Raise,
    account_manager: User,
    retention_rep: User,
    approver: User,
    department_manager: User,
    accountant: User,
    clock: time_machine.Traveller,
):
    from retainops.changes import queries

    saved = raise_request("retention", escalation="retention_team")
    services.record_save_attempt(by=retention_rep, request=saved, outcome="saved")
    lost = raise_request(escalation="retention_team", effective_date=date(2026, 11, 24))
    services.record_save_attempt(by=retention_rep, request=lost, outcome="lost")
    services.submit_change_request(by=retention_rep, request=lost)
    clock.move_to(START + timedelta(hours=5))
    decide(lost, "first_approval", approver)
    clock.move_to(START + timedelta(hours=8))
    decide(lost, "second_approval", department_manager)
    playbooks.complete_task(by=accountant, task=step(lost, "process"))

    report = queries.reports(account_manager)

    assert (report.save_rate.attempts, report.save_rate.saved, report.save_rate.rate) == (2, 1, 0.5)
    assert report.save_rate_by_reason["Reducing the marketing budget"].rate == 0.5
    assert report.save_rate_by_month["2026-11"].attempts == 2
    assert report.approval_hours_by_step == {"First approval": 5.0, "Director approval": 3.0}
    assert report.revenue_saved == Decimal("3000.00")
    assert report.revenue_lost == Decimal("3000.00")
    kinds = {(row["kind"], row["count"]) for row in report.requests_by_kind_and_reason}
    assert kinds == {("retention", 1), ("cancellation", 1)}


def test_the_planner_export_keeps_notes_from_becoming_formulas(raise_request: Raise):
    from retainops.changes import queries

    raise_request("pause", notes='=HYPERLINK("http://x.example")')
    request = ChangeRequest.objects.get()
    rows = queries.planner_rows(ChangeRequest.objects.filter(pk=request.pk))

    assert rows[1][-1] == '\'=HYPERLINK("http://x.example")'


def test_a_closed_request_is_not_handed_over_nor_given_a_retired_reason(
    raise_request: Raise, retention_rep: User, account_manager: User
):
    request = raise_request(escalation="retention_team", by=retention_rep)
    retired = ChangeReason.objects.create(code="old", label="Old reason", is_active=False)

    with pytest.raises(ValidationError, match="no longer offered"):
        services.update_change_request(
            by=retention_rep, request=request, changes={"reason": retired}
        )
    services.withdraw_change_request(by=retention_rep, request=request, reason="Stayed")
    with pytest.raises(ValidationError, match="cannot change"):
        services.hand_to_account_manager(by=retention_rep, request=request, to=account_manager)


def test_an_approved_or_processed_request_takes_no_call_hand_over_nor_withdrawal(
    raise_request: Raise,
    account_manager: User,
    retention_rep: User,
    approver: User,
    department_manager: User,
    accountant: User,
):
    request = raise_request()
    services.submit_change_request(by=account_manager, request=request)
    approve_all(request, approver, department_manager)
    approved = ChangeRequest.objects.get(pk=request.pk)
    playbooks.complete_task(by=accountant, task=step(request, "process"))
    processed = ChangeRequest.objects.get(pk=request.pk)
    assert (approved.status, processed.status) == (ChangeStatus.APPROVED, ChangeStatus.PROCESSED)

    for state in (approved, processed):
        with pytest.raises(ValidationError, match="no longer recorded"):
            services.record_save_attempt(by=retention_rep, request=state, outcome="saved")
        with pytest.raises(ValidationError, match="cannot change hands"):
            services.hand_to_account_manager(by=retention_rep, request=state, to=account_manager)
        with pytest.raises(ValidationError, match="cannot be withdrawn"):
            services.withdraw_change_request(by=account_manager, request=state, reason="Stayed")
    assert not request.saves.exists()
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.PROCESSED


# Who verifies a removal, a contract change without a contract, calls recorded afterwards ---


@pytest.fixture
def second_manager(north) -> User:
    """Dan, another department manager of North."""
    from retainops.core.testing import UserFactory

    return UserFactory.create(username="dan_dm", roles=["department_manager"], units=[north])


def test_a_department_manager_who_removed_the_client_from_a_tool_does_not_verify_it(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    second_manager: User,
    accountant: User,
    clock: time_machine.Traveller,
):
    request = raise_request(effective_date=date(2026, 11, 20))
    _approve_and_process(request, account_manager, approver, department_manager, accountant)
    removal = Removal.objects.filter(request=request).first()
    assert removal is not None
    services.mark_removed(by=department_manager, removal=removal)

    with pytest.raises(PermissionDenied, match="You marked this removal done yourself"):
        services.verify_removal(by=department_manager, removal=removal)
    assert Removal.objects.get(pk=removal.pk).state == "removed"
    services.verify_removal(by=second_manager, removal=removal)

    removal.refresh_from_db()
    assert (removal.state, removal.removed_by, removal.verified_by) == (
        "verified",
        department_manager,
        second_manager,
    )


def test_a_contract_change_for_a_client_without_an_active_contract_is_refused_at_submission(
    north, account_manager: User, budget_cut: ChangeReason
):
    from retainops.clients.testing import ClientFactory

    bare = ClientFactory.create(name="Bare Bones Bakery", business_unit=north)
    ott = ServiceLine.objects.get(code="ott")
    request = services.raise_change_request(
        by=account_manager,
        client=bare,
        kind="contract_change",
        reason=budget_cut,
        escalation="team_lead",
        effective_date=EFFECTIVE,
        lines=[services.LineChange(ott, "add", Decimal("800.00"))],
    )

    with pytest.raises(ValidationError, match="Bare Bones Bakery has no active contract"):
        services.submit_change_request(by=account_manager, request=request)

    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.DRAFT
    assert not Run.objects.filter(subject_type="change_request", subject_id=request.pk).exists()


def test_a_contract_change_whose_contract_ended_before_its_date_says_why_nothing_changed(
    raise_request: Raise,
    account_manager: User,
    approver: User,
    department_manager: User,
    accountant: User,
    harbor: Client,
    clock: time_machine.Traveller,
):
    from retainops.changes import queries
    from retainops.core.audit import save_audited

    display = ServiceLine.objects.get(code="targeted-display")
    lines = [services.LineChange(display, "budget", Decimal("1200.00"))]
    request = raise_request("contract_change", lines=lines)
    _approve_and_process(request, account_manager, approver, department_manager, accountant)
    for contract in harbor.contracts.all():  # the client cancelled it another way meanwhile
        contract.cancel()
        save_audited(contract, account_manager, "cancelled by hand")

    clock.move_to(START + timedelta(days=37))
    tick()

    request.refresh_from_db()
    assert request.status == ChangeStatus.EFFECTIVE
    assert not ContractLine.objects.filter(contract__client=harbor, monthly_budget=1200).exists()
    said = [entry.what for entry in queries.request_history(request)]
    assert (
        "In effect: no contract line changed: Harbor Dental had no active contract on the day"
        in said
    )


def test_a_call_made_earlier_is_recorded_at_its_time_never_in_the_future_nor_before_raising(
    raise_request: Raise, retention_rep: User, clock: time_machine.Traveller
):
    request = raise_request(escalation="retention_team")  # raised at 09:00
    clock.move_to(START + timedelta(hours=3))

    earlier = services.record_save_attempt(
        by=retention_rep, request=request, outcome="lost", at=START + timedelta(hours=1)
    )
    naive = services.record_save_attempt(
        by=retention_rep, request=request, outcome="saved", at=datetime(2026, 11, 24, 11, 30)
    )
    just_now = services.record_save_attempt(by=retention_rep, request=request, outcome="paused")

    assert earlier.at == START + timedelta(hours=1)
    assert naive.at == START + timedelta(hours=2, minutes=30)  # the site's time zone is UTC
    assert just_now.at == START + timedelta(hours=3)
    assert list(request.saves.values_list("outcome", flat=True)) == ["paused", "saved", "lost"]
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.record_save_attempt(
            by=retention_rep, request=request, outcome="saved", at=START + timedelta(hours=4)
        )
    with pytest.raises(ValidationError, match="raised at 2026-11-24 09:00: the call cannot be"):
        services.record_save_attempt(
            by=retention_rep, request=request, outcome="saved", at=START - timedelta(minutes=1)
        )
    assert request.saves.count() == 3


# A request's history ----------------------------------------------------------------------


def test_a_requests_history_tells_its_calls_submissions_decisions_and_offboarding_in_order(
    client,
    raise_request: Raise,
    account_manager: User,
    retention_rep: User,
    approver: User,
    department_manager: User,
    second_manager: User,
    accountant: User,
    partner: User,
    clock: time_machine.Traveller,
):
    from django.urls import reverse

    def later(minutes: int) -> None:
        clock.move_to(START + timedelta(minutes=minutes))

    request = raise_request(escalation="retention_team", effective_date=date(2026, 11, 24))
    later(10)
    services.record_save_attempt(
        by=retention_rep, request=request, outcome="lost", notes="Firm on leaving"
    )
    later(20)
    services.submit_change_request(by=retention_rep, request=request)
    later(30)
    decide(request, "first_approval", approver, "rejected", "Under contract until June")
    later(40)
    services.submit_change_request(by=retention_rep, request=request)
    later(50)
    decide(request, "first_approval", approver)
    later(60)
    decide(request, "second_approval", department_manager)
    later(70)
    playbooks.complete_task(by=accountant, task=step(request, "process"))
    later(80)
    removal = Removal.objects.get(request=request, tool__code="ad-platform")
    services.mark_removed(by=partner, removal=removal)
    later(90)
    services.verify_removal(by=second_manager, removal=removal)

    client.force_login(account_manager)
    html = client.get(reverse("changes:detail", args=[request.pk])).content.decode()
    history = html[html.index('aria-label="History"') :]
    told = [
        (account_manager, "Raised"),
        (retention_rep, "Save attempt: Lost: “Firm on leaving”"),
        (retention_rep, "Submitted for approval"),
        (approver, "First approval: rejected: “Under contract until June”"),
        (approver, f"Returned to its submitter: {approver}: Under contract until June"),
        (retention_rep, "Submitted for approval"),
        (approver, "First approval: approved"),
        (department_manager, "Director approval: approved"),
        (department_manager, "Approved"),
        (department_manager, "In effect"),
        (accountant, "Process the change in the records and billing: done"),
        (partner, f"Removed from {removal.tool}"),
        (second_manager, f"Verified removal from {removal.tool}"),
    ]
    at = 0
    for who, what in told:
        found = history.find(f"<td>{who}</td><td>{what}</td>", at)
        assert found > at, f"{who}: {what!r} missing or out of order"
        at = found
