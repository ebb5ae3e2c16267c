"""Reassigning several tasks at once: all move to the chosen person, or none does."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.playbooks import services
from retainops.playbooks.choices import EventKind
from retainops.playbooks.models import Playbook, PlaybookVersion, Run, Task, TimelineEvent

from .conftest import START


@pytest.fixture
def run(clock: Any, handoff: PlaybookVersion, harbor: Client, account_manager: User) -> Run:
    playbook = Playbook.objects.get(key="sales-handoff")
    return services.start_run(
        by=account_manager, playbook=playbook, subject_id=harbor.pk, anchors={"sold": START}
    )


def task(run: Run, key: str) -> Task:
    return Task.objects.get(run=run, step_key=key)


def test_a_team_lead_moves_several_tasks_to_one_person(
    run: Run, team_lead: User, csm: User, sales_rep: User, account_manager: User
):
    notes, contact = task(run, "handoff_notes"), task(run, "first_contact")
    assert (notes.assignee, contact.assignee) == (sales_rep, account_manager)

    moved = services.reassign_tasks(by=team_lead, tasks=[contact, notes], to=csm)

    assert {t.pk for t in moved} == {notes.pk, contact.pk}
    assert task(run, "handoff_notes").assignee == csm
    assert task(run, "first_contact").assignee == csm
    assert TimelineEvent.objects.filter(kind=EventKind.TASK_REASSIGNED).count() == 2


def test_one_task_not_open_refuses_them_all_naming_it(run: Run, team_lead: User, csm: User):
    notes, contact = task(run, "handoff_notes"), task(run, "first_contact")
    services.skip_task(by=team_lead, task=contact, reason="Met them at the sale")
    # The open one is moved first (lower id), so the refusal must undo it.
    assert notes.pk < contact.pk

    with pytest.raises(ValidationError) as refused:
        services.reassign_tasks(by=team_lead, tasks=[notes, contact], to=csm)

    assert contact.title in str(refused.value) and "not open" in str(refused.value)
    assert task(run, "handoff_notes").assignee != csm
    assert not TimelineEvent.objects.filter(kind=EventKind.TASK_REASSIGNED).exists()


def test_a_task_that_is_not_theirs_refuses_them_all(
    run: Run, account_manager: User, csm: User, sales_rep: User
):
    notes, contact = task(run, "handoff_notes"), task(run, "first_contact")

    with pytest.raises(PermissionDenied) as refused:
        services.reassign_tasks(by=account_manager, tasks=[contact, notes], to=csm)

    assert notes.title in str(refused.value)
    assert task(run, "first_contact").assignee == account_manager
    assert task(run, "handoff_notes").assignee == sales_rep


def test_more_than_the_limit_at_once_is_refused(run: Run, team_lead: User, csm: User):
    contact = task(run, "first_contact")
    with pytest.raises(ValidationError, match="at most 200"):
        services.reassign_tasks(by=team_lead, tasks=[contact] * 201, to=csm)
    with pytest.raises(ValidationError, match="at least one"):
        services.reassign_tasks(by=team_lead, tasks=[], to=csm)


def test_the_task_list_ticks_and_reassigns(
    client: HttpClient, run: Run, team_lead: User, csm: User, south_account_manager: User
):
    client.force_login(team_lead)
    notes, contact = task(run, "handoff_notes"), task(run, "first_contact")
    page = client.get(reverse("playbooks:tasks"), {"scope": "all"}).content.decode()
    assert f'name="task" value="{notes.pk}" form="bulk-reassign"' in page
    assert str(csm) in page and str(south_account_manager) not in page

    url = reverse("playbooks:tasks_reassign")
    answer = client.post(
        url, {"task": [notes.pk, contact.pk], "to": csm.pk, "back": "scope=all"}, follow=True
    )
    assert answer.redirect_chain[-1][0] == "/work/tasks/?scope=all"
    assert "2 tasks now with" in answer.content.decode()
    assert task(run, "handoff_notes").assignee == csm


def test_the_page_refuses_an_unseen_task_and_moves_nothing(
    client: HttpClient, run: Run, team_lead: User, csm: User
):
    client.force_login(team_lead)
    notes = task(run, "handoff_notes")
    answer = client.post(
        reverse("playbooks:tasks_reassign"),
        {"task": [notes.pk, "999999"], "to": csm.pk},
        follow=True,
    )
    assert "Nothing was reassigned" in answer.content.decode()
    assert task(run, "handoff_notes").assignee != csm


def test_the_api_moves_all_or_names_the_refused_task(
    api_as: Any, run: Run, account_manager: User, team_lead: User, csm: User
):
    notes, contact = task(run, "handoff_notes"), task(run, "first_contact")
    refused = api_as(account_manager).post(
        "/tasks/reassign", {"ids": [contact.pk, notes.pk], "to": csm.username}
    )
    assert refused.status_code == 403 and notes.title in refused.content.decode()
    assert task(run, "first_contact").assignee == account_manager

    unseen = api_as(team_lead).post("/tasks/reassign", {"ids": [999999], "to": csm.username})
    assert unseen.status_code == 422 and "ids" in unseen.content.decode()

    moved = api_as(team_lead).post(
        "/tasks/reassign", {"ids": [contact.pk, notes.pk], "to": csm.username}
    )
    assert moved.status_code == 200
    assert [t["id"] for t in moved.json()] == sorted([contact.pk, notes.pk])
    assert task(run, "first_contact").assignee == csm
