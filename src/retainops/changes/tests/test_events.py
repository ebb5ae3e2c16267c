"""Change requests announce what happens to them, their approval chain starts on the
submission's event, the chain joins its approvals in one step, and a decision loads the
request once."""

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from retainops.changes import events, services
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.changes.subject import mark_approved
from retainops.clients.models import Client
from retainops.core import events as bus
from retainops.core.models import User
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Run, Task
from retainops.playbooks.subjects import SUBJECT_TYPES

pytestmark = pytest.mark.usefixtures("approval_playbook", "lists")


@pytest.fixture
def request_raised(harbor: Client, account_manager: User, budget_cut: ChangeReason):
    from .conftest import EFFECTIVE

    return services.raise_change_request(
        by=account_manager,
        client=harbor,
        kind="pause",
        reason=budget_cut,
        escalation="team_lead",
        effective_date=EFFECTIVE,
    )


@pytest.fixture
def heard() -> Iterator[list[bus.DomainEvent]]:
    """Every change-request event emitted during the test, in order."""
    caught: list[bus.DomainEvent] = []
    entry = (events.ChangeRequestEvent, caught.append)
    bus.listen(*entry)
    yield caught
    bus.stop_listening(*entry)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each time the engine loads a change request through the subject registry."""
    counted: list[int] = []
    kind = SUBJECT_TYPES["change_request"]

    def load(pk: int) -> Any:
        counted.append(pk)
        return kind.load(pk)

    monkeypatch.setitem(SUBJECT_TYPES, "change_request", dataclasses.replace(kind, load=load))
    return counted


def _task(request: ChangeRequest, key: str) -> Task:
    return Task.objects.get(run__subject_id=request.pk, step_key=key)


def test_submitting_announces_it_and_the_route_s_chain_starts_on_that_event(
    request_raised: ChangeRequest, account_manager: User, heard: list
):
    services.submit_change_request(by=account_manager, request=request_raised)

    submitted = [e for e in heard if isinstance(e, events.ChangeRequestSubmitted)]
    assert [(e.request.pk, e.playbook, e.by) for e in submitted] == [
        (request_raised.pk, "change-approval", account_manager)
    ]
    run = Run.objects.get(subject_type="change_request", subject_id=request_raised.pk)
    assert (run.trigger, run.version.playbook.key) == (
        "change_request.submitted",
        "change-approval",
    )


def test_the_approved_step_joins_the_approvals_and_fires_once_all_are_in(
    request_raised: ChangeRequest,
    account_manager: User,
    approver: User,
    department_manager: User,
    heard: list,
):
    services.submit_change_request(by=account_manager, request=request_raised)
    playbooks.decide_approval(
        by=approver, task=_task(request_raised, "first_approval"), decision="approved"
    )
    assert _task(request_raised, "approved").state == TaskState.WAITING

    playbooks.decide_approval(
        by=department_manager, task=_task(request_raised, "second_approval"), decision="approved"
    )

    joined = _task(request_raised, "approved")
    assert (joined.kind, joined.state, joined.note) == (
        "join",
        TaskState.DONE,
        "every step it joins is done",
    )
    assert _task(request_raised, "finance_approval").state == TaskState.SKIPPED
    request_raised.refresh_from_db()
    assert request_raised.status == ChangeStatus.APPROVED
    assert [type(e).__name__ for e in heard][-1] == "ChangeRequestApproved"


def test_the_deciding_approval_loads_the_request_once(
    request_raised: ChangeRequest,
    account_manager: User,
    approver: User,
    department_manager: User,
    loads: list[int],
):
    services.submit_change_request(by=account_manager, request=request_raised)
    playbooks.decide_approval(
        by=approver, task=_task(request_raised, "first_approval"), decision="approved"
    )
    loads.clear()

    # The decision that approves the request: askers, the finance condition, the join's
    # action, the announcement's and the next steps' messages all read the request.
    playbooks.decide_approval(
        by=department_manager, task=_task(request_raised, "second_approval"), decision="approved"
    )

    assert loads == [request_raised.pk]


def test_a_step_action_refuses_a_run_that_is_not_the_request_s_own(
    request_raised: ChangeRequest, account_manager: User, harbor: Client, budget_cut
):
    services.submit_change_request(by=account_manager, request=request_raised)
    other = services.raise_change_request(
        by=account_manager,
        client=harbor,
        kind="retention",
        reason=budget_cut,
        escalation="team_lead",
        effective_date=request_raised.effective_date,
    )
    run = Run.objects.get(subject_type="change_request", subject_id=request_raised.pk)

    with pytest.raises(PermissionDenied, match="is not the approval chain"):
        mark_approved(other, run=run, by=account_manager)
    other.refresh_from_db()
    assert other.status == ChangeStatus.DRAFT
