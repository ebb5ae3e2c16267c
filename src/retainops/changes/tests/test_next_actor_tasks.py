"""Whoever must act next on a change request before approval has a task in My work:
the retention team's save call when the request is escalated to it, then the
submission; the account manager a request is handed to; the submitter again after a
rejection returns it. The tasks close themselves as the request moves on, and a
withdrawn request takes them away."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from retainops.changes import services
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import Client
from retainops.core.models import User
from retainops.playbooks import queries
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import RunState, TaskState
from retainops.playbooks.library import load_source, shipped_sources
from retainops.playbooks.models import Run, Task

from .conftest import EFFECTIVE


@pytest.fixture
def shipped(ops_lead: User) -> None:
    """Every shipped playbook on change requests, loaded as `load_playbook --shipped` does."""
    for source in shipped_sources().values():
        if "subject: change_request" in source:
            load_source(by=ops_lead, source=source)


pytestmark = pytest.mark.usefixtures("shipped", "lists")


def escalate(client: Client, by: User, reason: ChangeReason, escalation: str) -> ChangeRequest:
    return services.raise_change_request(
        by=by,
        client=client,
        kind="cancellation",
        reason=reason,
        escalation=escalation,
        effective_date=EFFECTIVE,
        reason_text="We are not getting the calls we hoped for.",
    )


def open_work(user: User, request: ChangeRequest) -> list[str]:
    """The titles of the open tasks of this request in the person's My work (own or
    queue)."""
    inbox = queries.my_work(user)
    tasks = [*inbox.overdue, *inbox.today, *inbox.upcoming, *inbox.queue]
    return sorted(
        t.title
        for t in tasks
        if t.run.subject_type == "change_request" and t.run.subject_id == request.pk
    )


def test_a_cancellation_escalated_to_the_retention_team_is_a_task_in_its_my_work(
    harbor: Client,
    account_manager: User,
    retention_rep: User,
    budget_cut: ChangeReason,
    client: Browser,
):
    request = escalate(harbor, account_manager, budget_cut, "retention_team")

    assert open_work(retention_rep, request) == ["Call the client to save them"]
    client.force_login(retention_rep)
    page = client.get(reverse("playbooks:my_work")).content.decode()
    assert "Call the client to save them" in page
    assert "queues are empty" not in page
    assert open_work(account_manager, request) == []

    services.record_save_attempt(by=retention_rep, request=request, outcome="lost")
    assert open_work(retention_rep, request) == ["Submit the request for approval"]

    services.submit_change_request(by=retention_rep, request=request)
    assert open_work(retention_rep, request) == []
    submission = Run.objects.get(subject_id=request.pk, version__playbook__key="change-submission")
    assert submission.state == RunState.COMPLETED


def test_without_the_retention_team_the_clients_account_manager_has_the_submission(
    harbor: Client, account_manager: User, team_lead: User, budget_cut: ChangeReason
):
    request = escalate(harbor, account_manager, budget_cut, "team_lead")

    assert open_work(account_manager, request) == ["Submit the request for approval"]
    services.submit_change_request(by=account_manager, request=request)
    assert open_work(account_manager, request) == []


def test_a_request_handed_over_takes_its_tasks_to_the_account_manager(
    harbor: Client, account_manager: User, retention_rep: User, budget_cut: ChangeReason
):
    request = escalate(harbor, retention_rep, budget_cut, "retention_team")
    services.record_save_attempt(by=retention_rep, request=request, outcome="lost")

    services.hand_to_account_manager(by=retention_rep, request=request, to=account_manager)

    assert open_work(retention_rep, request) == []
    assert open_work(account_manager, request) == ["Submit the request for approval"]


def test_a_rejected_request_is_back_in_the_submitters_my_work(
    harbor: Client,
    account_manager: User,
    approver: User,
    budget_cut: ChangeReason,
    approval_playbook: object,
):
    request = escalate(harbor, account_manager, budget_cut, "team_lead")
    services.submit_change_request(by=account_manager, request=request)
    [first] = Task.objects.filter(step_key="first_approval", run__subject_id=request.pk)

    playbooks.decide_approval(by=approver, task=first, decision="rejected", comment="Not yet")

    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.RETURNED
    assert open_work(account_manager, request) == ["Submit the request for approval"]


def test_withdrawing_a_draft_takes_its_tasks_away(
    harbor: Client, account_manager: User, retention_rep: User, budget_cut: ChangeReason
):
    request = escalate(harbor, account_manager, budget_cut, "retention_team")

    # The retention team may withdraw a request without the right to cancel runs by hand.
    services.withdraw_change_request(by=retention_rep, request=request, reason="Client stays")

    assert open_work(retention_rep, request) == []
    assert not Task.objects.filter(run__subject_id=request.pk, state=TaskState.OPEN).exists()
