"""Two approvers acting on the same request at the same moment, each on a database
connection of its own: only one of them moves it (on PostgreSQL the row lock makes the
second wait and then find the step decided; SQLite's IMMEDIATE transactions queue it)."""

from datetime import date

import pytest
from django.db import transaction

from retainops.changes import services
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory, run_at_once
from retainops.playbooks import services as playbooks
from retainops.playbooks.library import LIBRARY
from retainops.playbooks.models import Run, Task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def committed_reasons() -> None:
    """The flush between transactional tests removes the migrations' reasons, lists and
    templates."""
    import importlib

    from django.apps import apps as django_apps

    for module, writer in (
        ("retainops.changes.migrations.0002_reference_data", "write_reference_data"),
        ("retainops.changes.migrations.0003_escalation_notice", "write_escalation_template"),
    ):
        getattr(importlib.import_module(module), writer)(django_apps, None)


def test_two_approvers_deciding_the_first_approval_at_once_move_the_request_once(
    committed_reasons: None,
):
    with transaction.atomic():
        unit = BusinessUnitFactory.create(code="north")
        manager = UserFactory.create(username="amy", roles=["account_manager"], units=[unit])
        ops = UserFactory.create(username="otto", roles=["operations_lead"], units=[unit])
        first = UserFactory.create(username="jules", roles=["approver"], units=[unit])
        second = UserFactory.create(username="jo", roles=["approver"], units=[unit])
        client = ClientFactory.create(name="Harbor Dental", business_unit=unit)
        client.go_live()
        client.save()
        make_contract(client, {"seo": "900.00"})
        ClientTeamMember.objects.create(
            client=client, user=manager, role=Role.objects.get(code="account_manager")
        )
        playbooks.publish_playbook(by=ops, source=(LIBRARY / "change-approval.yaml").read_text())
        request = services.raise_change_request(
            by=manager,
            client=client,
            kind="pause",
            reason=ChangeReason.objects.get(code="seasonal"),
            escalation="team_lead",
            effective_date=date(2027, 1, 1),
        )
        services.submit_change_request(by=manager, request=request)
    run = Run.objects.get(subject_type="change_request", subject_id=request.pk)
    approval = Task.objects.get(run=run, step_key="first_approval")
    assert approval.queue_role == "approver"

    outcomes = run_at_once(
        [
            lambda: playbooks.decide_approval(by=first, task=approval, decision="approved"),
            lambda: playbooks.decide_approval(
                by=second, task=approval, decision="rejected", comment="Not in January"
            ),
        ]
    )

    assert sorted(o.split(":")[0] for o in outcomes) == ["done", "refused"], outcomes
    approval.refresh_from_db()
    request.refresh_from_db()
    if approval.decision == "approved":
        assert request.status == ChangeStatus.SUBMITTED
        assert Task.objects.get(run=run, step_key="second_approval").state == "open"
    else:
        assert request.status == ChangeStatus.RETURNED
    assert ChangeRequest.history.filter(id=request.pk, status=ChangeStatus.RETURNED).count() <= 1
