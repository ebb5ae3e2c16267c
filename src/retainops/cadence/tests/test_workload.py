"""The workload ahead: tasks due, planned contacts and the waiting steps of running
playbooks per person and day, against the daily capacity; a team lead reassigns."""

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from retainops.cadence import services, workload
from retainops.cadence.models import Occurrence
from retainops.playbooks.models import Playbook, Task
from retainops.playbooks.services import publish_playbook, start_run

pytestmark = pytest.mark.django_db

CHECK_IN = """
key: check-in
name: Check-in
subject: client
trigger: manual
steps:
  - key: call_now
    title: Call the client
    owner: role:account_manager
    due: 1 day after started
  - key: follow_up
    title: Send the follow-up
    owner: role:account_manager
    needs: [call_now]
    due: 3 days after started
"""


@pytest.fixture
def check_in(clock, ops_lead, harbor, account_manager):
    publish_playbook(by=ops_lead, source=CHECK_IN)
    return start_run(
        by=account_manager, playbook=Playbook.objects.get(key="check-in"), subject_id=harbor.pk
    )


@pytest.fixture
def ops_lead(north):
    from retainops.core.testing import UserFactory

    return UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])


def days_of(loads, person):
    return next(load for load in loads if load.person == person).days


def test_each_day_counts_tasks_planned_contacts_and_steps_to_come(
    clock, harbor, account_manager, lead, call, check_in
):
    services.add_plan_item(
        by=account_manager,
        client=harbor,
        kind=call,
        rrule="FREQ=DAILY;COUNT=3",
        starts_on=date(2026, 11, 24),
        owner_role="account_manager",
    )
    days = days_of(workload.workload(lead), account_manager)
    assert len(days) == 28 and days[0].day == date(2026, 11, 24)
    assert (days[0].occurrences, days[1].occurrences, days[2].occurrences) == (1, 1, 1)
    assert days[1].tasks == 1  # the call, due tomorrow
    assert days[3].steps == 1  # the follow-up, waiting, due in three days
    assert sum(d.total for d in days) == 5


def test_a_day_over_capacity_is_flagged(clock, harbor, account_manager, lead, call, settings):
    settings.CADENCE_DAILY_CAPACITY = 2
    for hour in (10, 12, 14):
        services.add_plan_item(
            by=account_manager,
            client=harbor,
            kind=call,
            rrule="FREQ=DAILY;COUNT=1",
            starts_on=date(2026, 11, 25),
            owner_role="account_manager",
            at=time(hour),
        )
    load = next(p for p in workload.workload(lead) if p.person == account_manager)
    assert load.days[1].total == 3 and load.days[1].over and load.over_days == 1


def test_a_team_lead_hands_a_planned_contact_and_a_task_to_a_colleague(
    clock, harbor, account_manager, lead, colleague, call, check_in
):
    services.add_plan_item(
        by=account_manager,
        client=harbor,
        kind=call,
        rrule="FREQ=DAILY;COUNT=1",
        starts_on=date(2026, 11, 25),
        owner_role="account_manager",
    )
    work = workload.work_on(account_manager, date(2026, 11, 25))
    assert {w.kind for w in work} == {"task", "occurrence"}
    for item in work:
        services.reassign_work(by=lead, kind=item.kind, pk=item.id, to=colleague)
    assert Occurrence.objects.get().assignee == colleague
    assert Task.objects.get(step_key="call_now").assignee == colleague
    days = days_of(workload.workload(lead), colleague)
    assert days[1].total == 2


def test_an_account_manager_may_not_reassign_a_colleagues_planned_contact(
    clock, harbor, account_manager, colleague, call
):
    services.add_plan_item(
        by=account_manager,
        client=harbor,
        kind=call,
        rrule="FREQ=DAILY;COUNT=1",
        starts_on=date(2026, 11, 25),
        owner_role="account_manager",
    )
    with pytest.raises(PermissionDenied):
        services.reassign_occurrence(
            by=account_manager, occurrence=Occurrence.objects.get(), to=colleague
        )


def test_overdue_work_counts_today(clock, harbor, account_manager, lead, call):
    services.add_plan_item(
        by=account_manager,
        client=harbor,
        kind=call,
        rrule="FREQ=DAILY;COUNT=1",
        starts_on=date(2026, 11, 24),
        owner_role="account_manager",
    )
    clock.move_to(timezone.now() + timedelta(days=2))
    days = days_of(workload.workload(lead), account_manager)
    assert days[0].day == date(2026, 11, 26) and days[0].occurrences == 1
