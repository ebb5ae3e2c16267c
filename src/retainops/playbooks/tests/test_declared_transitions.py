"""Tasks and runs move only along the transitions their models declare, and only for
the people those transitions permit, whichever code path asks."""

import pytest
from django.core.exceptions import PermissionDenied

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.core.transitions import declared
from retainops.playbooks import engine, services
from retainops.playbooks.choices import RunState, TaskState
from retainops.playbooks.models import PlaybookVersion, Run, Task

pytestmark = pytest.mark.django_db


def started(handoff: PlaybookVersion, harbor: Client, by: User) -> Run:
    return services.start_run(by=by, playbook=handoff.playbook, subject_id=harbor.pk)


def first_contact(run: Run) -> Task:
    return Task.objects.select_related("run__version").get(run=run, step_key="first_contact")


def test_the_page_offers_skipping_from_the_states_the_skip_transition_starts_from():
    assert set(declared(Task, "skip").sources) == {TaskState.WAITING, TaskState.OPEN}


def test_a_person_who_does_not_own_a_task_cannot_close_it_even_past_the_services(
    handoff, harbor, account_manager, south_account_manager
):
    run = started(handoff, harbor, account_manager)
    task = first_contact(run)

    with pytest.raises(PermissionDenied):
        engine.apply_task_transition(task, "complete", closed_by=south_account_manager)

    assert Task.objects.get(pk=task.pk).state == TaskState.OPEN


def test_the_engine_closing_its_own_step_names_no_one_and_needs_no_permission(
    handoff, harbor, account_manager
):
    task = first_contact(started(handoff, harbor, account_manager))

    assert engine.apply_task_transition(task, "complete", closed_by=None)
    assert task.state == TaskState.DONE


def test_a_run_with_steps_still_open_cannot_be_completed(handoff, harbor, account_manager):
    run = started(handoff, harbor, account_manager)

    assert not engine.apply_run_transition(run, "complete")

    assert Run.objects.get(pk=run.pk).state == RunState.RUNNING


def test_only_a_run_manager_of_the_clients_unit_cancels_a_run(
    handoff, harbor, account_manager, south_account_manager
):
    run = started(handoff, harbor, account_manager)

    with pytest.raises(PermissionDenied):
        engine.apply_run_transition(run, "cancel", by=south_account_manager, end_reason="no")
    assert engine.apply_run_transition(run, "cancel", by=account_manager, end_reason="mistake")

    assert Run.objects.get(pk=run.pk).state == RunState.CANCELLED
