"""Approval routes: a route for a business unit and kind makes that unit's requests of that
kind run the playbook it names; the most specific route wins (unit and kind, then unit,
then kind); any other request goes through the shipped `change-approval`. A playbook that
does not carry a request on after approval (announce, accounting, the effective date,
offboarding for cancellations) is refused, when routed and when a request is submitted."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from retainops.changes import services
from retainops.changes.admin_services import delete_route, save_route
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ApprovalRoute, ChangeReason, ChangeRequest
from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, User
from retainops.messaging.models import Message
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import RunState, TaskState
from retainops.playbooks.models import Playbook, Run
from retainops.playbooks.services import publish_playbook

from .conftest import EFFECTIVE, START, approval_only, one_approval

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


def test_a_route_for_the_unit_and_kind_runs_its_playbook_through_to_the_effective_date(
    publish: Publish,
    route: Callable[..., ApprovalRoute],
    raise_in: Callable[..., ChangeRequest],
    harbor: Client,
    north: BusinessUnit,
    account_manager: User,
    approver: User,
    team_lead: User,
    accountant: User,
    ops_lead: User,
    department_manager: User,
    clock: time_machine.Traveller,
):
    chain = publish("north-pauses", owner=f"user:{team_lead.username}")
    route(chain, north, "pause")
    pause = raise_in(harbor, account_manager)

    run = submitted_run(pause, account_manager)

    assert run.version.playbook.key == "north-pauses"
    task = run.tasks.get(step_key="the_approval")
    assert (task.state, task.assignee) == (TaskState.OPEN, team_lead)
    with pytest.raises(PermissionDenied, match="not yours"):
        playbooks.decide_approval(by=approver, task=task, decision="approved")
    playbooks.decide_approval(by=team_lead, task=task, decision="approved")
    task.refresh_from_db()
    assert (task.decision, task.closed_by) == ("approved", team_lead)
    assert ChangeRequest.objects.get(pk=pause.pk).status == ChangeStatus.APPROVED
    assert Message.objects.filter(subject__startswith="Approved:").count() == 1
    assert run.tasks.get(step_key="hand_to_department").queue_role == "operations_lead"

    playbooks.complete_task(by=accountant, task=run.tasks.get(step_key="process"))
    assert ChangeRequest.objects.get(pk=pause.pk).status == ChangeStatus.PROCESSED
    clock.move_to(START + timedelta(days=37))  # past 31 December, the effective date
    call_command("tick", stdout=StringIO())

    pause.refresh_from_db()
    assert (pause.status, pause.mrr_before, pause.mrr_after) == (
        ChangeStatus.EFFECTIVE,
        Decimal("3000.00"),
        Decimal("0"),
    )
    harbor.refresh_from_db()
    assert harbor.status == ClientStatus.PAUSED
    assert set(harbor.contracts.values_list("status", flat=True)) == {ContractStatus.PAUSED}
    assert run.tasks.get(step_key="remove_from_tools").state == TaskState.SKIPPED
    playbooks.complete_task(by=ops_lead, task=run.tasks.get(step_key="hand_to_department"))
    playbooks.complete_task(
        by=department_manager, task=run.tasks.get(step_key="prepare_department")
    )
    assert Run.objects.get(pk=run.pk).state == RunState.COMPLETED


def test_a_chain_that_stops_at_approval_is_refused_naming_what_it_lacks(
    ops_lead: User, route: Callable[..., ApprovalRoute], north: BusinessUnit
):
    stops = publish_playbook(by=ops_lead, source=approval_only("north-pauses")).playbook

    with pytest.raises(ValidationError) as for_pauses:
        route(stops, north, "pause")
    with pytest.raises(ValidationError) as for_every_kind:
        route(stops, north)

    [refusal] = for_pauses.value.message_dict["playbook"]
    assert "'north-pauses' does not carry a request through after approval" in refusal
    for lacking in (
        "marks the request approved (on_done: mark_approved)",
        "template: change-approved, to: [list:change-notice]",
        "owner: role:operations_lead",
        "accounting's processing (on_done: mark_processed)",
        "due: at effective, on_done: apply_change",
    ):
        assert lacking in refusal
    assert "tools_removed" not in refusal  # a pause is not offboarded
    [every_kind] = for_every_kind.value.message_dict["playbook"]
    assert "requires: [tools_removed]" in every_kind
    assert "vendor-cancellation-notice" in every_kind
    assert not ApprovalRoute.objects.exists()


def test_a_step_after_approval_skipped_by_its_condition_is_refused_for_the_kinds_it_skips(
    ops_lead: User, route: Callable[..., ApprovalRoute], north: BusinessUnit
):
    only_pauses = one_approval("pauses-take-effect").replace(
        "    on_done: apply_change", "    on_done: apply_change\n    when: kind == 'pause'"
    )
    with_credit = one_approval("credit-processed").replace(
        "    on_done: mark_processed", "    on_done: mark_processed\n    when: credit_amount > 0"
    )
    pauses = publish_playbook(by=ops_lead, source=only_pauses).playbook
    credits = publish_playbook(by=ops_lead, source=with_credit).playbook

    assert route(pauses, north, "pause").playbook == pauses
    skipped = "'take_effect' is skipped for retention, cancellation, contract change"
    with pytest.raises(ValidationError, match=skipped):
        route(pauses, north)
    with pytest.raises(ValidationError, match="depend on the kind of request alone"):
        route(credits, north, "cancellation")


def test_a_chain_republished_without_what_follows_approval_stops_submission(
    publish: Publish,
    route: Callable[..., ApprovalRoute],
    raise_in: Callable[..., ChangeRequest],
    harbor: Client,
    north: BusinessUnit,
    account_manager: User,
    ops_lead: User,
):
    route(publish("north-pauses"), north, "pause")
    publish_playbook(by=ops_lead, source=approval_only("north-pauses"))
    pause = raise_in(harbor, account_manager)

    with pytest.raises(ValidationError, match="'north-pauses' does not carry a request through"):
        services.submit_change_request(by=account_manager, request=pause)

    assert ChangeRequest.objects.get(pk=pause.pk).status == ChangeStatus.DRAFT
    assert not Run.objects.filter(subject_type="change_request", subject_id=pause.pk).exists()


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
