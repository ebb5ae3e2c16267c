"""Playbooks loaded from files (`retainops load_playbook`), and the demo's hand-offs: the
shipped sample published and under way after `seed_demo`, one of them run to its end, and
one left alone past its first contact's due time, escalated to a team lead of its unit."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.dateparse import parse_datetime

from retainops.clients.demo import ADMIN_USERNAME
from retainops.core.models import User
from retainops.core.testing import UserFactory
from retainops.messaging.testing import SmtpPeer
from retainops.playbooks import services
from retainops.playbooks.choices import EventKind, RunState, TaskState
from retainops.playbooks.demo import HANDOFF, RECENT_SALES
from retainops.playbooks.library import shipped_sources
from retainops.playbooks.models import Playbook, PlaybookVersion, Run, Task, TimelineEvent

pytestmark = pytest.mark.django_db

RENEWAL = """
key: renewal-call
name: Renewal call
anchors: [renewal]
steps:
  - key: prepare
    title: Prepare the renewal figures
    owner: role:account_manager
    due: 14 days before renewal
"""


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_playbook", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def publisher(db: None) -> User:
    return UserFactory.create(username="otto_ops", roles=["operations_lead"])


def test_a_file_is_published_once_and_again_only_when_its_text_changes(
    tmp_path: Path, publisher: User
):
    file = tmp_path / "renewal.yaml"
    file.write_text(RENEWAL)

    assert load(str(file), "--as", "otto_ops") == f"{file}: renewal-call v1 published"
    assert load(str(file), "--as", "otto_ops") == f"{file}: renewal-call v1 already current"
    file.write_text(RENEWAL.replace("14 days", "21 days"))
    assert load(str(file), "--as", "otto_ops") == f"{file}: renewal-call v2 published"

    playbook = Playbook.objects.get(key="renewal-call")
    assert playbook.versions.count() == 2
    assert playbook.current is not None
    assert playbook.current.published_by == publisher
    assert "21 days" in playbook.current.source


def test_a_broken_file_is_refused_naming_the_step_and_publishes_nothing(
    tmp_path: Path, publisher: User
):
    file = tmp_path / "renewal.yaml"
    file.write_text(RENEWAL.replace("role:account_manager", "role:astronaut"))

    with pytest.raises(CommandError) as refused:
        load(str(file), "--as", "otto_ops")

    assert "is not a valid playbook" in str(refused.value)
    assert "prepare" in str(refused.value) and "astronaut" in str(refused.value)
    assert not PlaybookVersion.objects.exists()


def test_a_missing_file_or_publisher_is_refused(tmp_path: Path, publisher: User):
    with pytest.raises(CommandError, match="no such file"):
        load(str(tmp_path / "nowhere.yaml"), "--as", "otto_ops")
    with pytest.raises(CommandError, match="No active user is called 'ghost'"):
        load("--shipped", "--as", "ghost")
    assert not PlaybookVersion.objects.exists()


def test_the_shipped_playbooks_load_once(publisher: User):
    first = load("--shipped", "--as", "otto_ops").splitlines()
    again = load("--shipped", "--as", "otto_ops").splitlines()

    assert len(first) == len(shipped_sources()) >= 3
    assert all(line.endswith("v1 published") for line in first)
    assert all(line.endswith("v1 already current") for line in again)
    assert set(Playbook.objects.values_list("key", flat=True)) >= {
        "sales-handoff",
        "onboarding",
        "change-approval",
    }


def test_the_demo_puts_hand_offs_under_way_once_and_one_runs_to_its_end():
    call_command("seed_demo", clients=40, stdout=StringIO())
    runs = Run.objects.filter(version__playbook__key=HANDOFF)
    started = runs.count()
    assert 0 < started <= RECENT_SALES
    assert set(runs.values_list("state", flat=True)) == {RunState.RUNNING}

    call_command("seed_demo", clients=40, stdout=StringIO())
    assert runs.count() == started

    run = runs.order_by("-started_at").first()
    assert run is not None
    admin = User.objects.get(username=ADMIN_USERNAME)
    for key in ("handoff_notes", "first_contact", "week_one_check_in"):
        task = Task.objects.get(run=run, step_key=key)
        assert task.state == TaskState.OPEN, key
        services.complete_task(by=admin, task=task, note=f"{key} done in the demo")

    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    told = Task.objects.get(run=run, step_key="tell_sales")
    assert (told.state, told.note) == (TaskState.DONE, "message queued")


def test_a_demo_hand_off_left_past_its_first_contacts_due_time_is_escalated_to_a_team_lead(
    smtp: SmtpPeer,
):
    call_command("seed_demo", clients=40, stdout=StringIO())
    run = Run.objects.filter(version__playbook__key=HANDOFF).order_by("-started_at").first()
    assert run is not None
    sold = parse_datetime(run.anchors["sold"])
    assert sold is not None
    contact = Task.objects.get(run=run, step_key="first_contact")
    assert (contact.state, contact.due_at) == (TaskState.OPEN, sold + timedelta(hours=24))

    output = StringIO()
    call_command("tick", "--at", (sold + timedelta(hours=24, minutes=1)).isoformat(), stdout=output)

    assert "0 failed" in output.getvalue()
    client = run.client
    subject = f"Missed: First contact with the client ({client.name})"
    [mail] = [m for m in smtp.received if m.subject == subject]
    leads = User.objects.filter(
        roles__code="team_lead", business_units=client.business_unit, is_active=True
    ).exclude(email="")
    assert mail.envelope_to, "the escalation went to no one"
    assert set(mail.envelope_to) <= set(leads.values_list("email", flat=True))
    missed = TimelineEvent.objects.get(task=contact, kind=EventKind.TASK_MISSED)
    assert "escalated to" in missed.summary
    contact.refresh_from_db()
    assert contact.escalated_at == contact.due_at
