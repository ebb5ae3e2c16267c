"""Approval routes: a route for a business unit and kind makes that unit's requests of that
kind run the playbook it names; the most specific route wins (unit and kind, then unit,
then kind); any other request goes through the shipped `change-approval`."""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied

from retainops.changes import services
from retainops.changes.admin_services import delete_route, save_route
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ApprovalRoute, ChangeReason, ChangeRequest
from retainops.clients.models import Client
from retainops.core.models import BusinessUnit, User
from retainops.core.testing import ClientFactory
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import RunState, TaskState
from retainops.playbooks.models import Playbook, Run
from retainops.playbooks.services import publish_playbook

from .conftest import EFFECTIVE, one_approval

pytestmark = pytest.mark.usefixtures("approval_playbook", "lists")

Publish = Callable[..., Playbook]
Raise = Callable[..., ChangeRequest]


@pytest.fixture
def publish(ops_lead: User) -> Publish:
    def publish_chain(key: str, owner: str = "role:approver") -> Playbook:
        return publish_playbook(by=ops_lead, source=one_approval(key, owner)).playbook

    return publish_chain


@pytest.fixture
def route(ops_lead: User) -> Callable[..., ApprovalRoute]:
    def add(playbook: Playbook, unit: BusinessUnit | None = None, kind: str = "") -> ApprovalRoute:
        data = {"business_unit": unit, "kind": kind, "playbook": playbook}
        return save_route(by=ops_lead, route=None, data=data)

    return add


@pytest.fixture
def raise_in(budget_cut: ChangeReason) -> Callable[..., ChangeRequest]:
    def make(client: Client, by: User, kind: str = "pause") -> ChangeRequest:
        return services.raise_change_request(
            by=by,
            client=client,
            kind=kind,
            reason=budget_cut,
            escalation="team_lead",
            effective_date=EFFECTIVE,
        )

    return make


def submitted_run(request: ChangeRequest, by: User) -> Run:
    services.submit_change_request(by=by, request=request)
    return Run.objects.select_related("version__playbook").get(
        subject_type="change_request", subject_id=request.pk
    )


@pytest.fixture
def south_client(south: BusinessUnit) -> Client:
    return ClientFactory.create(name="Summit Roofing", business_unit=south)


def test_a_route_for_the_unit_and_kind_runs_its_playbook_and_its_named_approver_decides(
    publish: Publish,
    route: Callable[..., ApprovalRoute],
    raise_in: Callable[..., ChangeRequest],
    harbor: Client,
    north: BusinessUnit,
    account_manager: User,
    approver: User,
    team_lead: User,
):
    chain = publish("north-pauses", owner=f"user:{team_lead.username}")
    route(chain, north, "pause")
    pause = raise_in(harbor, account_manager)

    run = submitted_run(pause, account_manager)

    assert run.version.playbook.key == "north-pauses"
    [task] = run.tasks.all()
    assert (task.step_key, task.state, task.assignee) == ("the_approval", TaskState.OPEN, team_lead)
    with pytest.raises(PermissionDenied, match="not yours"):
        playbooks.decide_approval(by=approver, task=task, decision="approved")
    playbooks.decide_approval(by=team_lead, task=task, decision="approved")
    task.refresh_from_db()
    assert (task.decision, task.closed_by) == ("approved", team_lead)
    assert ChangeRequest.objects.get(pk=pause.pk).status == ChangeStatus.APPROVED
    assert Run.objects.get(pk=run.pk).state == RunState.COMPLETED


def test_the_most_specific_route_wins(
    publish: Publish,
    route: Callable[..., ApprovalRoute],
    raise_in: Callable[..., ChangeRequest],
    harbor: Client,
    north: BusinessUnit,
    account_manager: User,
    ops_lead: User,
):
    unit_only = route(publish("north-anything"), north)
    route(publish("every-pause"), kind="pause")
    both = route(publish("north-pauses"), north, "pause")

    assert submitted_run(
        raise_in(harbor, account_manager), account_manager
    ).version.playbook.key == ("north-pauses")
    delete_route(by=ops_lead, route=both)
    assert submitted_run(
        raise_in(harbor, account_manager), account_manager
    ).version.playbook.key == ("north-anything")
    delete_route(by=ops_lead, route=unit_only)
    assert submitted_run(
        raise_in(harbor, account_manager), account_manager
    ).version.playbook.key == ("every-pause")


def test_a_request_of_another_unit_or_kind_falls_back_to_change_approval(
    publish: Publish,
    route: Callable[..., ApprovalRoute],
    raise_in: Callable[..., ChangeRequest],
    harbor: Client,
    north: BusinessUnit,
    account_manager: User,
    south_client: Client,
    south_account_manager: User,
):
    route(publish("north-pauses"), north, "pause")

    north_cancellation = raise_in(harbor, account_manager, "cancellation")
    south_pause = raise_in(south_client, south_account_manager, "pause")

    for request, by in (
        (north_cancellation, account_manager),
        (south_pause, south_account_manager),
    ):
        run = submitted_run(request, by)
        assert run.version.playbook.key == services.DEFAULT_APPROVAL
        assert run.tasks.get(step_key="first_approval").state == TaskState.OPEN
