"""What a subject lends its steps: checks a step requires before it completes (with an
override for permitted roles), actions it takes when done, and meeting series."""

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.messaging.models import Meeting, Message
from retainops.playbooks import services
from retainops.playbooks.choices import EventKind, TaskState
from retainops.playbooks.definition import DefinitionInvalid
from retainops.playbooks.models import PlaybookVersion, Run, Task, TimelineEvent
from retainops.playbooks.subjects import SUBJECT_TYPES, Check

from .conftest import START

Publish = Callable[[str], PlaybookVersion]

GATED = """
key: gated
name: Gated
anchors: [go_live, flight_end]
steps:
  - key: collect
    title: Collect the missing details
    owner: role:account_manager
    requires: [website_known]
    override_by: [department_manager]
    on_done: note_collected
  - key: optimise
    title: Optimization meeting
    kind: meeting
    owner: role:client_success_manager
    due: 30 days after go_live
    attendees: [role:client_success_manager, contacts]
    repeat: {every: 30 days, until: flight_end}
"""


@pytest.fixture
def client_with_hooks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """The client subject, lent a check (its website is recorded) and an action."""
    done: list[tuple[Any, Any]] = []
    hooked = dataclasses.replace(
        SUBJECT_TYPES["client"],
        checks={
            "website_known": Check(
                "Client record", lambda c: [] if c.website else ["the website address"]
            )
        },
        actions={"note_collected": lambda client, run, by: done.append((client, by))},
    )
    monkeypatch.setitem(SUBJECT_TYPES, "client", hooked)
    return done


def start(version: PlaybookVersion, client: Client, by: User, **anchors: Any) -> Run:
    return services.start_run(
        by=by, playbook=version.playbook, subject_id=client.pk, anchors=anchors
    )


def collect(run: Run) -> Task:
    return Task.objects.get(run=run, step_key="collect")


def test_a_step_is_refused_while_what_it_requires_is_missing(
    client_with_hooks: list, publish: Publish, harbor: Client, account_manager: User
):
    run = start(publish(GATED), harbor, account_manager)

    with pytest.raises(ValidationError) as refused:
        services.complete_task(by=account_manager, task=collect(run))

    assert refused.value.message_dict == {
        "requires": ["Still missing: Client record: the website address"]
    }
    assert collect(run).state == TaskState.OPEN
    assert client_with_hooks == []


def test_once_the_requirement_is_met_the_step_completes_and_its_action_runs(
    client_with_hooks: list, publish: Publish, harbor: Client, account_manager: User
):
    run = start(publish(GATED), harbor, account_manager)
    harbor.website = "https://harbor.example"
    harbor.save()

    services.complete_task(by=account_manager, task=collect(run), note="All in")

    assert collect(run).state == TaskState.DONE
    assert client_with_hooks == [(harbor, account_manager)]


def test_an_override_needs_a_reason_and_a_permitted_role(
    client_with_hooks: list,
    publish: Publish,
    harbor: Client,
    account_manager: User,
    north,
):
    from retainops.core.testing import UserFactory

    manager = UserFactory.create(username="dora_dm", roles=["department_manager"], units=[north])
    run = start(publish(GATED), harbor, account_manager)

    with pytest.raises(PermissionDenied):
        services.complete_task(by=account_manager, task=collect(run), override_reason="Urgent")
    with pytest.raises(ValidationError):
        services.complete_task(by=manager, task=collect(run), override_reason="  ")
    services.complete_task(
        by=manager, task=collect(run), override_reason="The client sends it on Monday"
    )

    done = collect(run)
    assert done.state == TaskState.DONE
    assert "the website address" in done.note and "sends it on Monday" in done.note
    event = TimelineEvent.objects.get(task=done, kind=EventKind.TASK_OVERRIDDEN)
    assert event.actor == manager


def test_a_step_waiting_for_its_checks_is_skipped_only_by_those_who_may_override_it(
    client_with_hooks: list,
    publish: Publish,
    harbor: Client,
    account_manager: User,
    team_lead: User,
    north,
):
    from retainops.core.testing import UserFactory

    manager = UserFactory.create(username="dora_dm", roles=["department_manager"], units=[north])
    run = start(publish(GATED), harbor, account_manager)
    # Tess supervises tasks and may skip ordinary steps, but skipping this one would pass
    # its gate without the details: only the department manager may do that.
    assert not services.may_skip(team_lead, collect(run))

    with pytest.raises(PermissionDenied, match="waits for its checks"):
        services.skip_task(by=team_lead, task=collect(run), reason="Not needed")

    assert collect(run).state == TaskState.OPEN
    assert services.may_skip(manager, collect(run))
    services.skip_task(by=manager, task=collect(run), reason="The client has no website")
    assert collect(run).state == TaskState.SKIPPED


def test_unknown_checks_and_actions_are_refused_when_published(
    client_with_hooks: list, publish: Publish
):
    source = GATED.replace("[website_known]", "[po_signed]").replace(
        "note_collected", "launch_rocket"
    )

    with pytest.raises(DefinitionInvalid) as refused:
        publish(source)

    messages = sorted(p.message for p in refused.value.problems)
    assert messages[0].startswith("unknown action 'launch_rocket'")
    assert messages[1].startswith("unknown check 'po_signed'")


def test_a_repeating_meeting_is_one_series_until_its_anchor_and_moves_with_it(
    client_with_hooks: list,
    publish: Publish,
    harbor: Client,
    account_manager: User,
    csm: User,
):
    go_live, flight_end = START + timedelta(days=5), START + timedelta(days=200)
    run = start(publish(GATED), harbor, account_manager, go_live=go_live, flight_end=flight_end)
    task = Task.objects.get(run=run, step_key="optimise")
    assert task.meeting_id is not None
    meeting = Meeting.objects.get(pk=task.meeting_id)

    assert meeting.starts_at == go_live + timedelta(days=30)
    assert meeting.recurrence == "FREQ=DAILY;INTERVAL=30;UNTIL=20270612T090000Z"
    invitation = Message.objects.get(subject__startswith="Invitation: Optimization meeting")
    ics = bytes(invitation.attachments.get().content).decode()
    assert "RRULE:FREQ=DAILY;UNTIL=20270612T090000Z;INTERVAL=30" in ics

    services.move_anchor(
        by=account_manager, run=run, name="flight_end", at=flight_end - timedelta(days=90)
    )

    meeting.refresh_from_db()
    assert meeting.recurrence == "FREQ=DAILY;INTERVAL=30;UNTIL=20270314T090000Z"
    assert meeting.sequence == 1
    assert meeting.organizer == csm
