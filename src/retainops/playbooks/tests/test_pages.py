"""The process engine's pages: my work, a task's actions, playbooks, runs, the client's
processes and timeline, and the navigation's counts. Each refusal has its test."""

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from pytest_django import Settings

from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, Team, User
from retainops.core.testing import UserFactory
from retainops.messaging.models import Message
from retainops.playbooks import services, views
from retainops.playbooks.choices import Decision, EventKind, RunState, TaskState
from retainops.playbooks.models import Playbook, PlaybookVersion, Run, Task, TimelineEvent
from retainops.playbooks.subjects import SUBJECT_TYPES, Check

from .conftest import LIBRARY, START

Publish = Callable[[str], PlaybookVersion]

# Five tasks for the account manager's inbox, one per section, once its kickoff is set.
DESK_CHORES = """
key: desk-chores
name: Desk chores
anchors: [kickoff]
steps:
  - key: late_report
    title: Send the late report
    owner: role:account_manager
    due: 1 hour after kickoff
  - key: call_today
    title: Call the client today
    owner: role:account_manager
    due: 5 hours after kickoff
  - key: plan_next_month
    title: Plan next month
    owner: role:account_manager
    due: 3 days after kickoff
  - key: desk_review
    title: Review the account at the desk
    owner: team:Onboarding desk
  - key: welcome_call
    title: Welcome call by the success manager
    owner: role:client_success_manager
    due: 2 days after kickoff
"""

DISCOUNT = """
key: discount
name: Discount approval
steps:
  - key: approve_discount
    title: Approve the discount
    kind: approval
    owner: role:team_lead
    due: 2 days after started
  - key: apply_discount
    title: Apply the discount
    owner: role:account_manager
    needs: [approve_discount]
"""

BROKEN = """
key: broken
name: Broken
steps:
  - key: first
    title: First
    owner: role:account_manager
  - key: second
    title: Second
    owner: role:nobody_has_this_role
    needs: [zzz]
"""


GATED = """
key: gated
name: Gated
steps:
  - key: collect
    title: Collect the missing details
    owner: role:account_manager
    requires: [website_known]
    override_by: [department_manager]
"""

# `name` is text: `name > 5` passes the definition's checks and fails when evaluated.
MISTYPED = """
key: mistyped
name: Mistyped condition
steps:
  - key: intake
    title: Take in the order
    owner: role:account_manager
  - key: shorten
    title: Shorten the name
    owner: role:account_manager
    needs: [intake]
    when: name > 5
"""


def _as(client: HttpClient, user: User) -> HttpClient:
    client.force_login(user)
    return client


def _flashes(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _section(html: str, key: str) -> str:
    """The HTML of one section of the My work page."""
    start = html.index(f'<section id="{key}"')
    return html[start : html.index("</section>", start)]


def _start(by: User, client: Client, key: str, **anchors: datetime) -> Run:
    playbook = Playbook.objects.get(key=key)
    return services.start_run(by=by, playbook=playbook, subject_id=client.pk, anchors=anchors)


def _handoff(by: User, client: Client, *, sold: datetime) -> Run:
    return _start(by, client, "sales-handoff", sold=sold)


def _task(run: Run, key: str) -> Task:
    return Task.objects.get(run=run, step_key=key)


def _page(client: HttpClient, name: str, *args: Any) -> str:
    response = client.get(reverse(f"playbooks:{name}", args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def desk(account_manager: User) -> Team:
    team = Team.objects.create(name="Onboarding desk")
    team.members.add(account_manager)
    return team


@pytest.fixture
def chores(clock: Any, publish: Publish, desk: Team, harbor: Client, account_manager: User) -> Run:
    """The account manager's chores on Harbor, kicked off two hours ago."""
    publish(DESK_CHORES)
    return _start(account_manager, harbor, "desk-chores", kickoff=START - timedelta(hours=2))


# My work --------------------------------------------------------------------------------


def test_my_work_sorts_my_tasks_by_due_time_and_shows_queues_and_what_waits_on_others(
    client: HttpClient, account_manager: User, chores: Run
) -> None:
    page = _page(_as(client, account_manager), "my_work")

    overdue, today = _section(page, "overdue"), _section(page, "today")
    upcoming, queue = _section(page, "upcoming"), _section(page, "queue")
    waiting = _section(page, "waiting")
    assert "Send the late report" in overdue and "overdue" in overdue
    assert "Call the client today" in today and "Send the late report" not in today
    assert "Plan next month" in upcoming
    assert "Review the account at the desk" in queue and "queue: Onboarding desk" in queue
    assert "Welcome call by the success manager" in waiting
    for section in (overdue, today, upcoming, queue, waiting):
        assert 'data-count="1"' in section
    # The desk's task is mine to take: it shows in my queues, not as waiting on others.
    assert "Review the account at the desk" not in waiting
    for section in (overdue, today, upcoming, queue, waiting):
        assert "Harbor Dental" in section and "Desk chores" in section
    late = _task(chores, "late_report")
    assert reverse("playbooks:task", args=[late.pk]) in overdue


def test_my_work_says_plainly_when_there_is_nothing(
    client: HttpClient, csm: User, account_manager: User, harbor: Client
) -> None:
    page = _page(_as(client, csm), "my_work")

    assert "Nothing on your plate" in page
    assert "Nothing of yours is overdue." in _section(page, "overdue")
    assert "queues are empty" in _section(page, "queue")
    assert "Nothing you asked for is waiting" in _section(page, "waiting")


def test_completing_a_task_from_its_page_opens_the_next_step_for_the_next_person(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    sales_rep: User,
    csm: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START - timedelta(hours=2))
    first_contact = _task(run, "first_contact")
    services.complete_task(by=sales_rep, task=_task(run, "handoff_notes"), note="Sold SEO")

    page = _page(_as(client, account_manager), "task", first_contact.pk)
    assert "Introduce yourself, set expectations" in page
    response = client.post(
        reverse("playbooks:task_complete", args=[first_contact.pk]),
        {"note": "Called Dana, kickoff on Friday."},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("playbooks:my_work"), 302)]
    assert "Done: First contact with the client (Harbor Dental)." in _flashes(response)
    first_contact.refresh_from_db()
    assert first_contact.state == TaskState.DONE
    assert first_contact.note == "Called Dana, kickoff on Friday."
    assert first_contact.closed_by == account_manager
    assert Message.objects.filter(subject="Harbor Dental: first contact made").exists()
    check_in = _section(_page(_as(client, csm), "my_work"), "upcoming")
    assert "Check in with the client a week after first contact" in check_in


def test_someone_who_does_not_own_a_task_sees_no_complete_form_and_is_refused(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    csm: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    first_contact = _task(run, "first_contact")
    url = reverse("playbooks:task_complete", args=[first_contact.pk])

    page = _page(_as(client, csm), "task", first_contact.pk)
    assert url not in page
    assert "Nothing for you to do: this task is with" in page
    assert client.post(url, {"note": "mine now"}).status_code == 403
    assert _task(run, "first_contact").state == TaskState.OPEN


# Approvals ------------------------------------------------------------------------------


@pytest.fixture
def discount(publish: Publish, harbor: Client) -> PlaybookVersion:
    return publish(DISCOUNT)


def test_the_team_lead_approves_and_the_next_step_opens(
    client: HttpClient,
    discount: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    team_lead: User,
) -> None:
    run = _start(account_manager, harbor, "discount")
    approval = _task(run, "approve_discount")
    url = reverse("playbooks:task_decide", args=[approval.pk])

    page = _page(_as(client, team_lead), "task", approval.pk)
    assert url in page and "Approve" in page and "Reject" in page
    response = client.post(url, {"decision": "approved", "comment": "Fine by me"}, follow=True)

    assert response.redirect_chain == [(reverse("playbooks:my_work"), 302)]
    assert "Approved: Approve the discount (Harbor Dental)." in _flashes(response)
    assert _task(run, "approve_discount").decision == Decision.APPROVED
    apply = _task(run, "apply_discount")
    assert apply.state == TaskState.OPEN and apply.assignee == account_manager


def test_a_rejection_needs_a_reason_and_ends_the_run(
    client: HttpClient,
    discount: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    team_lead: User,
) -> None:
    run = _start(account_manager, harbor, "discount")
    approval = _task(run, "approve_discount")
    url = reverse("playbooks:task_decide", args=[approval.pk])
    _as(client, team_lead)

    silent = client.post(url, {"decision": "rejected", "comment": ""})
    assert silent.status_code == 400
    assert "Say why it is rejected." in silent.content.decode()
    assert _task(run, "approve_discount").state == TaskState.OPEN

    client.post(url, {"decision": "rejected", "comment": "Margin too thin"})
    run.refresh_from_db()
    assert run.state == RunState.REJECTED
    assert _task(run, "apply_discount").state == TaskState.SKIPPED
    run_page = _page(client, "run", run.pk)
    assert "Ended by a rejection" in run_page and "Margin too thin" in run_page


def test_the_requester_is_not_offered_the_decision_and_is_refused_it(
    client: HttpClient, discount: PlaybookVersion, harbor: Client, team_lead: User
) -> None:
    run = _start(team_lead, harbor, "discount")  # the team lead asks, and owns the approval
    approval = _task(run, "approve_discount")
    url = reverse("playbooks:task_decide", args=[approval.pk])

    page = _page(_as(client, team_lead), "task", approval.pk)
    assert url not in page
    assert "You asked for this; someone else decides it." in page
    assert client.post(url, {"decision": "approved"}).status_code == 403
    assert _task(run, "approve_discount").state == TaskState.OPEN


def test_no_one_is_offered_to_skip_an_approval(
    client: HttpClient,
    discount: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    team_lead: User,
) -> None:
    run = _start(account_manager, harbor, "discount")
    approval, apply = _task(run, "approve_discount"), _task(run, "apply_discount")
    _as(client, team_lead)

    # Tess supervises tasks: she may skip the step after the approval, and its page says so...
    apply_page = _page(client, "task", apply.pk)
    assert reverse("playbooks:task_skip", args=[apply.pk]) in apply_page
    assert "Skip this step" in apply_page
    # ...but the approval's page, where she may decide, offers her no skip.
    page = _page(client, "task", approval.pk)
    assert reverse("playbooks:task_decide", args=[approval.pk]) in page
    assert reverse("playbooks:task_skip", args=[approval.pk]) not in page
    assert "Skip this step" not in page


def test_completing_the_step_before_a_condition_that_cannot_be_evaluated_answers_normally(
    client: HttpClient, publish: Publish, harbor: Client, account_manager: User
) -> None:
    publish(MISTYPED)
    run = _start(account_manager, harbor, "mistyped")
    intake = _task(run, "intake")

    response = _as(client, account_manager).post(
        reverse("playbooks:task_complete", args=[intake.pk]), {"note": "In"}
    )

    assert response.status_code == 302
    assert _task(run, "shorten").state == TaskState.SKIPPED
    run_page = _page(client, "run", run.pk)
    assert "Skipped: its condition (name &gt; 5) could not be evaluated: " in run_page


# Steps that require checks ----------------------------------------------------------------


@pytest.fixture
def website_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client subject, lent a check: its website is recorded."""
    checked = dataclasses.replace(
        SUBJECT_TYPES["client"],
        checks={
            "website_known": Check(
                "Client record", lambda c: [] if c.website else ["the website address"]
            )
        },
    )
    monkeypatch.setitem(SUBJECT_TYPES, "client", checked)


def test_a_step_with_unmet_checks_is_refused_and_a_department_manager_completes_it_anyway(
    client: HttpClient,
    website_check: None,
    publish: Publish,
    harbor: Client,
    account_manager: User,
    north: BusinessUnit,
) -> None:
    publish(GATED)
    collect = _task(_start(account_manager, harbor, "gated"), "collect")
    url = reverse("playbooks:task_complete", args=[collect.pk])
    _as(client, account_manager)

    page = _page(client, "task", collect.pk)
    assert "Completes only when these checks pass: Client record" in page
    assert 'name="override_reason"' not in page
    refused = client.post(url, {"note": "Done"})
    assert refused.status_code == 400
    assert "Still missing: Client record: the website address" in refused.content.decode()
    assert _task(collect.run, "collect").state == TaskState.OPEN

    manager = UserFactory.create(username="dora_dm", roles=["department_manager"], units=[north])
    _as(client, manager)
    assert 'name="override_reason"' in _page(client, "task", collect.pk)
    client.post(url, {"note": "", "override_reason": "The client sends it on Monday"})

    done = _task(collect.run, "collect")
    assert done.state == TaskState.DONE
    assert "the website address" in done.note and "sends it on Monday" in done.note


# Reassigning, skipping, commenting, files -----------------------------------------------


def test_the_owner_reassigns_a_task_to_someone_of_the_clients_unit(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    csm: User,
    south_account_manager: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    first_contact = _task(run, "first_contact")
    url = reverse("playbooks:task_reassign", args=[first_contact.pk])
    _as(client, account_manager)

    page = _page(client, "task", first_contact.pk)
    assert str(csm) in page and str(south_account_manager) not in page
    elsewhere = client.post(url, {"to": south_account_manager.pk})
    assert elsewhere.status_code == 400
    assert _task(run, "first_contact").assignee == account_manager

    response = client.post(url, {"to": csm.pk}, follow=True)
    assert f"First contact with the client is now with {csm}." in _flashes(response)
    assert _task(run, "first_contact").assignee == csm
    assert "First contact with the client" in _page(_as(client, csm), "my_work")
    assert TimelineEvent.objects.filter(kind=EventKind.TASK_REASSIGNED).count() == 1


def test_someone_else_cannot_reassign_a_task(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    sales_rep: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    first_contact = _task(run, "first_contact")
    url = reverse("playbooks:task_reassign", args=[first_contact.pk])

    assert url not in _page(_as(client, sales_rep), "task", first_contact.pk)
    assert client.post(url, {"to": sales_rep.pk}).status_code == 403
    assert _task(run, "first_contact").assignee == account_manager


def test_a_queue_member_takes_a_queued_task(
    client: HttpClient, account_manager: User, chores: Run
) -> None:
    review = _task(chores, "desk_review")
    page = _page(_as(client, account_manager), "task", review.pk)
    assert "Take it" in page

    client.post(reverse("playbooks:task_reassign", args=[review.pk]), {"to": account_manager.pk})

    assert _task(chores, "desk_review").assignee == account_manager


def test_handoff_notes_may_be_skipped_by_the_team_lead_not_by_the_account_manager(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    team_lead: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    notes = _task(run, "handoff_notes")
    url = reverse("playbooks:task_skip", args=[notes.pk])

    assert url not in _page(_as(client, account_manager), "task", notes.pk)
    assert client.post(url, {"reason": "Not needed"}).status_code == 403
    assert _task(run, "handoff_notes").state == TaskState.OPEN

    assert url in _page(_as(client, team_lead), "task", notes.pk)
    empty = client.post(url, {"reason": " "})
    assert empty.status_code == 400
    assert "Say why the step is skipped." in empty.content.decode()
    response = client.post(url, {"reason": "Sold by the owner himself"}, follow=True)

    assert response.redirect_chain == [(reverse("playbooks:run", args=[run.pk]), 302)]
    skipped = _task(run, "handoff_notes")
    assert skipped.state == TaskState.SKIPPED
    assert skipped.skip_reason == "Sold by the owner himself"
    assert "Skipped: Sold by the owner himself" in response.content.decode()


def test_anyone_of_the_unit_comments_on_a_task(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    service_agent: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    first_contact = _task(run, "first_contact")
    url = reverse("playbooks:task_comment", args=[first_contact.pk])
    _as(client, service_agent)

    assert client.post(url, {"body": ""}).status_code == 400
    response = client.post(url, {"body": "Dana prefers calls after 2pm."}, follow=True)

    assert response.status_code == 200
    assert "Dana prefers calls after 2pm." in response.content.decode()
    assert first_contact.comments.get().author == service_agent


def test_a_file_attached_on_completion_downloads_for_the_unit_only(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    south_account_manager: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    first_contact = _task(run, "first_contact")
    notes = SimpleUploadedFile("call notes.txt", b"Spoke with Dana.", content_type="text/plain")
    _as(client, account_manager).post(
        reverse("playbooks:task_complete", args=[first_contact.pk]),
        {"note": "Done", "file": notes},
    )
    attachment = first_contact.attachments.get()
    download = reverse("playbooks:task_attachment", args=[first_contact.pk, attachment.pk])

    assert download in _page(client, "task", first_contact.pk)
    response = client.get(download)
    assert response.status_code == 200
    assert response.content == b"Spoke with Dana."
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="call notes.txt"'
    assert _as(client, south_account_manager).get(download).status_code == 404


def test_another_units_task_and_run_do_not_exist_for_me(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    south_account_manager: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    first_contact = _task(run, "first_contact")
    _as(client, south_account_manager)

    assert client.get(reverse("playbooks:task", args=[first_contact.pk])).status_code == 404
    assert client.get(reverse("playbooks:run", args=[run.pk])).status_code == 404
    complete = reverse("playbooks:task_complete", args=[first_contact.pk])
    assert client.post(complete, {"note": "x"}).status_code == 404
    cancel = reverse("playbooks:run_cancel", args=[run.pk])
    assert client.post(cancel, {"reason": "x"}).status_code == 404
    assert client.get(reverse("playbooks:start", args=[harbor.pk])).status_code == 404
    assert client.get(reverse("playbooks:timeline", args=[harbor.pk])).status_code == 404
    assert "First contact" not in _page(client, "my_work")
    assert _task(run, "first_contact").state == TaskState.OPEN


# Playbooks ------------------------------------------------------------------------------


def test_check_lists_every_problem_naming_its_step_and_saves_nothing(
    client: HttpClient, account_manager: User
) -> None:
    response = _as(client, account_manager).post(
        reverse("playbooks:publish"), {"source": BROKEN, "action": "check"}
    )

    assert response.status_code == 400
    problems = {(p.step, p.field, p.message) for p in response.context["problems"]}
    assert ("second", "needs", "needs unknown step 'zzz'") in problems
    assert ("second", "owner", "unknown role 'nobody_has_this_role'") in problems
    page = response.content.decode()
    assert "<code>second</code>" in page and "needs unknown step &#x27;zzz&#x27;" in page
    assert not Playbook.objects.exists()


def test_check_of_an_uploaded_file_shows_its_steps(
    client: HttpClient, account_manager: User, harbor: Client
) -> None:
    upload = SimpleUploadedFile("handoff.yaml", (LIBRARY / "sales-handoff.yaml").read_bytes())
    response = _as(client, account_manager).post(
        reverse("playbooks:publish"), {"source": "", "file": upload, "action": "check"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Hand-off from sales to operations: no problems" in page
    assert "<code>week_one_check_in</code>" in page and "7 days after first_contact" in page
    assert not Playbook.objects.exists()


def test_publishing_is_refused_to_an_account_manager(
    client: HttpClient, account_manager: User, handoff: PlaybookVersion
) -> None:
    _as(client, account_manager)
    assert "Publish a playbook" not in _page(client, "list")
    assert 'value="publish"' not in _page(client, "publish")

    source = handoff.source.replace("within 24 hours", "within a day")
    response = client.post(reverse("playbooks:publish"), {"source": source, "action": "publish"})

    assert response.status_code == 403
    assert handoff.playbook.versions.count() == 1


def test_a_new_version_leaves_a_run_under_way_on_the_version_it_started_with(
    clock: Any,
    client: HttpClient,
    ops_lead: User,
    account_manager: User,
    handoff: PlaybookVersion,
    harbor: Client,
) -> None:
    before = _handoff(account_manager, harbor, sold=START)
    _as(client, ops_lead)
    prefilled = client.get(reverse("playbooks:publish"), {"from": "sales-handoff"})
    assert "title: First contact with the client" in prefilled.content.decode()
    source = handoff.source.replace("due: 24 hours after sold", "due: 12 hours after sold")

    response = client.post(
        reverse("playbooks:publish"), {"source": source, "action": "publish"}, follow=True
    )

    playbook = Playbook.objects.get(key="sales-handoff")
    assert response.redirect_chain == [(reverse("playbooks:detail", args=["sales-handoff"]), 302)]
    assert "Published version 2 of Hand-off from sales to operations." in _flashes(response)
    assert playbook.current is not None and playbook.current.number == 2
    assert "12 hours after sold" in response.content.decode()
    before.refresh_from_db()
    assert before.version.number == 1
    assert "version 1" in _page(client, "run", before.pk)
    assert _handoff(account_manager, harbor, sold=START).version.number == 2
    listing = _page(client, "list")
    assert "version 2" in listing and "Publish a playbook" in listing


def test_the_playbook_page_shows_steps_versions_and_runs_and_the_version_its_yaml(
    clock: Any,
    client: HttpClient,
    account_manager: User,
    handoff: PlaybookVersion,
    harbor: Client,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    page = _page(_as(client, account_manager), "detail", "sales-handoff")

    assert "<code>handoff_notes</code>" in page and "4 hours after sold" in page
    assert "<code>role:team_lead</code>" in page  # the escalation of first contact
    assert reverse("playbooks:version", args=["sales-handoff", 1]) in page
    assert reverse("playbooks:run", args=[run.pk]) in page
    assert reverse("playbooks:active", args=["sales-handoff"]) not in page
    source = _page(client, "version", "sales-handoff", 1)
    assert "skippable_by: [team_lead, department_manager]" in source


def test_only_a_playbook_manager_retires_and_restores_a_playbook(
    client: HttpClient, account_manager: User, ops_lead: User, handoff: PlaybookVersion
) -> None:
    url = reverse("playbooks:active", args=["sales-handoff"])
    assert _as(client, account_manager).post(url, {"active": "false"}).status_code == 403
    assert Playbook.objects.get(key="sales-handoff").is_active

    _as(client, ops_lead).post(url, {"active": "false"})
    assert not Playbook.objects.get(key="sales-handoff").is_active
    assert "Retired" in _page(client, "list")
    client.post(url, {"active": "true"})
    assert Playbook.objects.get(key="sales-handoff").is_active


# Runs -----------------------------------------------------------------------------------


def test_cancelling_a_run_needs_a_reason_and_closes_its_open_steps(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    url = reverse("playbooks:run_cancel", args=[run.pk])
    _as(client, account_manager)
    assert url in _page(client, "run", run.pk)

    empty = client.post(url, {"reason": ""}, follow=True)
    assert "reason: Say why the run is cancelled." in _flashes(empty)
    run.refresh_from_db()
    assert run.state == RunState.RUNNING

    response = client.post(url, {"reason": "The client withdrew"}, follow=True)
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED and run.end_reason == "The client withdrew"
    assert set(run.tasks.values_list("state", flat=True)) == {TaskState.CANCELLED}
    page = response.content.decode()
    assert "The client withdrew" in page and url not in page


def test_a_person_without_the_right_to_run_playbooks_cannot_cancel(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    service_agent: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    url = reverse("playbooks:run_cancel", args=[run.pk])

    page = _page(_as(client, service_agent), "run", run.pk)
    assert url not in page and reverse("playbooks:run_anchor", args=[run.pk]) not in page
    assert client.post(url, {"reason": "no"}).status_code == 403
    run.refresh_from_db()
    assert run.state == RunState.RUNNING


def test_moving_the_sale_date_moves_first_contacts_due_time(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    _as(client, account_manager)
    page = _page(client, "run", run.pk)
    assert 'value="2026-11-24T09:00"' in page

    response = client.post(
        reverse("playbooks:run_anchor", args=[run.pk]),
        {"name": "sold", "at": "2026-11-25T10:30"},
        follow=True,
    )

    assert "sold is now 2026-11-25 10:30; the steps due from it moved with it." in (
        _flashes(response)
    )
    moved = datetime.fromisoformat("2026-11-26T10:30:00+00:00")
    assert _task(run, "first_contact").due_at == moved
    assert "Wed 2026-11-25 10:30" in response.content.decode()
    refused = client.post(
        reverse("playbooks:run_anchor", args=[run.pk]), {"name": "sold", "at": "soon"}, follow=True
    )
    assert any(m.startswith("at: ") for m in _flashes(refused))


def test_a_run_started_from_the_client_page_reads_dates_in_the_agencys_time_zone(
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    settings: Settings,
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    _as(client, account_manager)
    start_url = reverse("playbooks:start", args=[harbor.pk])
    assert start_url in client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    form_page = _page(client, "start", harbor.pk)
    assert "Hand-off from sales to operations" in form_page and 'name="anchor_sold"' in form_page

    response = client.post(
        start_url, {"playbook": handoff.playbook_id, "anchor_sold": "2026-11-24T10:00"}
    )

    run = Run.objects.get()
    assert response["Location"] == reverse("playbooks:run", args=[run.pk])
    assert run.version == handoff and run.started_by == account_manager
    berlin_ten = datetime.fromisoformat("2026-11-24T09:00:00+00:00")
    assert datetime.fromisoformat(run.anchors["sold"]) == berlin_ten
    assert _task(run, "first_contact").due_at == berlin_ten + timedelta(hours=24)


def test_starting_needs_a_playbook_and_the_right_to_run_playbooks(
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    service_agent: User,
) -> None:
    start_url = reverse("playbooks:start", args=[harbor.pk])
    missing = _as(client, account_manager).post(start_url, {"playbook": "nope"})
    assert missing.status_code == 400
    assert "Choose one of the playbooks below." in _flashes(missing)

    _as(client, service_agent)
    assert start_url not in client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    assert client.get(start_url).status_code == 403
    assert client.post(start_url, {"playbook": handoff.playbook_id}).status_code == 403
    assert not Run.objects.exists()


# The client page, the timeline, the navigation ------------------------------------------


def test_client_page_shows_processes_and_the_timeline(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    sales_rep: User,
) -> None:
    run = _handoff(account_manager, harbor, sold=START)
    services.complete_task(by=sales_rep, task=_task(run, "handoff_notes"))
    response = _as(client, account_manager).get(reverse("clients:detail", args=[harbor.pk]))
    page = response.content.decode()

    processes = page[page.index('aria-label="Processes"') : page.index('aria-label="Timeline"')]
    assert reverse("playbooks:run", args=[run.pk]) in processes
    assert "Hand-off from sales to operations" in processes and "Running" in processes
    timeline = page[page.index('aria-label="Timeline"') : page.index('aria-label="Messages"')]
    assert "Hand-off from sales to operations started by hand" in timeline
    assert "Write the hand-off notes for operations done" in timeline
    assert "Client created" in timeline  # the record's own history
    assert reverse("playbooks:timeline", args=[harbor.pk]) in timeline
    assert 'aria-label="History"' in page and 'aria-label="Messages"' in page


def test_the_timeline_page_shows_older_entries_on_request(
    clock: Any,
    client: HttpClient,
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "TIMELINE_PAGE", 2)
    run = _handoff(account_manager, harbor, sold=START)
    for body in ("one", "two", "three"):
        clock.shift(timedelta(minutes=1))
        services.comment_on_task(by=account_manager, task=_task(run, "first_contact"), body=body)
    _as(client, account_manager)

    first = _page(client, "timeline", harbor.pk)
    assert "First contact with the client: three" in first
    assert "First contact with the client: two" in first
    assert "First contact with the client: one" not in first
    assert 'href="?limit=4"' in first
    more = client.get(reverse("playbooks:timeline", args=[harbor.pk]), {"limit": 4})
    assert "First contact with the client: one" in more.content.decode()


def test_navigation_puts_my_work_first_with_what_is_due_tonight_and_queued(
    client: HttpClient, account_manager: User, csm: User, chores: Run
) -> None:
    page = _page(_as(client, account_manager), "list")
    nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]

    assert nav.index("My work") < nav.index("Clients") < nav.index("Playbooks")
    # Due by tonight: the late report and today's call; queued: the desk review.
    assert re.search(r'id="nav-due"[^>]*>2<', nav)
    assert re.search(r'id="nav-queue"[^>]*>1<', nav)
    quiet = _page(_as(client, csm), "list")
    assert "nav-due" not in quiet  # the welcome call is due in two days
    assert "nav-queue" not in quiet


def test_every_page_needs_a_login(client: HttpClient, db: None) -> None:
    for url in (reverse("playbooks:my_work"), reverse("playbooks:list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_client_of_the_other_unit_is_not_found_on_the_start_page(
    client: HttpClient, handoff: PlaybookVersion, account_manager: User, south: BusinessUnit
) -> None:
    cedar = ClientFactory.create(name="Cedar Auto", business_unit=south)
    response = _as(client, account_manager).post(
        reverse("playbooks:start", args=[cedar.pk]), {"playbook": handoff.playbook_id}
    )
    assert response.status_code == 404
    assert not Run.objects.filter(client=cedar).exists()
