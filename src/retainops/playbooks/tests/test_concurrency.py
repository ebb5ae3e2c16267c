"""Two people acting on one task at the same moment, on two database connections:
only one of them moves it (PostgreSQL row locks and compare-and-set; SQLite's
IMMEDIATE transactions queue the second behind the first)."""

import pytest
from django.db import transaction

from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory, run_at_once
from retainops.playbooks import services
from retainops.playbooks.choices import EventKind, TaskState
from retainops.playbooks.models import Task, TimelineEvent

APPROVAL = """
key: credit
name: Credit approval
steps:
  - key: finance_approval
    title: Finance approves the credit
    kind: approval
    owner: role:finance
  - key: process
    title: Accounting processes it
    owner: role:accounting
    needs: [finance_approval]
"""

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_two_finance_approvers_deciding_at_once_move_the_request_once():
    with transaction.atomic():
        unit = BusinessUnitFactory.create(code="north")
        manager = UserFactory.create(username="amy", roles=["account_manager"], units=[unit])
        ops = UserFactory.create(username="otto", roles=["operations_lead"], units=[unit])
        first = UserFactory.create(username="fin1", roles=["finance"], units=[unit])
        second = UserFactory.create(username="fin2", roles=["finance"], units=[unit])
        UserFactory.create(username="acc", roles=["accounting"], units=[unit])
        client = ClientFactory.create(name="Harbor Dental", business_unit=unit)
        ClientTeamMember.objects.create(
            client=client, user=manager, role=Role.objects.get(code="account_manager")
        )
        version = services.publish_playbook(by=ops, source=APPROVAL)
        run = services.start_run(by=manager, playbook=version.playbook, subject_id=client.pk)
    approval = Task.objects.get(run=run, step_key="finance_approval")
    assert approval.queue_role == "finance"

    outcomes = run_at_once(
        [
            lambda: services.decide_approval(by=first, task=approval, decision="approved"),
            lambda: services.decide_approval(
                by=second, task=approval, decision="rejected", comment="Too generous"
            ),
        ]
    )

    assert sorted(o.split(":")[0] for o in outcomes) == ["done", "refused"], outcomes
    assert any("not open" in o for o in outcomes)
    approval.refresh_from_db()
    decisions = TimelineEvent.objects.filter(
        task=approval, kind__in=[EventKind.APPROVED, EventKind.REJECTED]
    )
    assert decisions.count() == 1
    assert approval.closed_by in (first, second)
    process = Task.objects.get(run=run, step_key="process")
    expected = TaskState.OPEN if approval.decision == "approved" else TaskState.SKIPPED
    assert process.state == expected
