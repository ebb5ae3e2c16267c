"""Runs: started by a sale or by hand, pinned to their version; steps open in order, with
owners, due times, conditions, approvals, skips, reassignments, moved dates and cancellation."""

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from retainops.clients.models import Client
from retainops.clients.services import change_client_status, create_client
from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.models import Meeting, Message
from retainops.playbooks import services
from retainops.playbooks.choices import Decision, EventKind, RunState, TaskState, TimerKind
from retainops.playbooks.models import PlaybookVersion, Run, Task, TimelineEvent, Timer

from .conftest import START

Publish = Callable[[str], PlaybookVersion]

APPROVAL = """
key: budget-cut
name: Budget cut approval
anchors: [effective]
steps:
  - key: manager_approval
    title: Manager approves the budget cut
    kind: approval
    owner: role:team_lead
    due: 2 days after started
  - key: finance_approval
    title: Finance approves the credit
    kind: approval
    owner: role:finance
    needs: [manager_approval]
    when: mrr > 5000
  - key: process
    title: Accounting processes the change
    owner: role:accounting
    needs: [manager_approval, finance_approval]
    due: 1 day before effective
"""

LAUNCH = """
key: launch
name: Launch
anchors: [go_live]
steps:
  - key: qa
    title: QA check once data flows
    owner: role:account_manager
    due: 1 day after go_live
    remind: [2 hours]
  - key: onboarding_meeting
    title: Reporting and onboarding meeting
    kind: meeting
    owner: role:client_success_manager
    due: 7 days after go_live
    attendees: [role:client_success_manager, contacts]
    duration: 45 minutes
"""


def task(run: Run, key: str) -> Task:
    return Task.objects.select_related("run", "assignee").get(run=run, step_key=key)


def task_meeting(step_task: Task) -> Q:
    assert step_task.meeting_id is not None, "the meeting step booked no meeting"
    return Q(pk=step_task.meeting_id)


def states(run: Run) -> dict[str, str]:
    return dict(run.tasks.values_list("step_key", "state"))


# Starting -------------------------------------------------------------------------------


def test_a_sale_recorded_by_hand_starts_the_handoff_with_first_contact_due_in_24_hours(
    handoff: PlaybookVersion, account_manager: User, north: BusinessUnit, clock
):
    client = create_client(
        by=account_manager, data={"name": "Seaside Dental", "business_unit": north}
    )

    run = Run.objects.get(client=client)
    assert (run.version, run.trigger, run.requested_by) == (handoff, "client.sold", account_manager)
    assert run.anchors == {"sold": START.isoformat()}
    first_contact = task(run, "first_contact")
    assert first_contact.state == TaskState.OPEN
    assert first_contact.due_at == START + timedelta(hours=24)
    assert states(run)["tell_sales"] == TaskState.WAITING
    assert TimelineEvent.objects.filter(client=client, kind=EventKind.RUN_STARTED).exists()


def test_a_won_back_client_starts_the_handoff_again(
    handoff: PlaybookVersion, account_manager: User, harbor: Client
):
    for step in ("go_live", "give_notice", "cancel"):
        getattr(harbor, step)()
    harbor.save()

    change_client_status(client=harbor, by=account_manager, transition_name="win_back")

    assert Run.objects.filter(client=harbor, trigger="client.sold").count() == 1


def test_imported_clients_start_no_process(handoff: PlaybookVersion, ops_lead: User):
    from retainops.clients.transfer import run_import

    sheet = b"name,business_unit\nImported Co,north\n"
    report = run_import(kind="clients", content=sheet, filename="c.csv", by=ops_lead, dry_run=False)

    assert report.written, report
    assert Client.objects.filter(name="Imported Co").exists()
    assert not Run.objects.exists()


def test_owners_are_the_role_holders_on_the_clients_team(
    handoff: PlaybookVersion, harbor: Client, account_manager: User, sales_rep: User
):
    run = services.start_run(
        by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk, anchors={"sold": START}
    )

    assert task(run, "handoff_notes").assignee == sales_rep
    assert task(run, "first_contact").assignee == account_manager
    assert task(run, "handoff_notes").due_at == START + timedelta(hours=4)


def test_a_role_no_one_holds_on_the_team_becomes_a_queue_of_that_role_in_the_unit(
    handoff: PlaybookVersion,
    north: BusinessUnit,
    account_manager: User,
    south_account_manager: User,
):
    client = ClientFactory.create(name="No Team Yet", business_unit=north)
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=client.pk)

    first_contact = task(run, "first_contact")
    assert (first_contact.assignee, first_contact.queue_role) == (None, "account_manager")
    assert services.in_queue(account_manager, first_contact)
    assert not services.in_queue(south_account_manager, first_contact)


def test_a_run_started_by_hand_without_an_anchor_has_no_due_time_until_it_is_set(
    publish: Publish, harbor: Client, account_manager: User, clock
):
    version = publish(LAUNCH)
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)

    qa = task(run, "qa")
    assert (qa.state, qa.due_at) == (TaskState.OPEN, None)
    assert not Timer.objects.filter(task=qa).exists()

    go_live = START + timedelta(days=10)
    services.move_anchor(by=account_manager, run=run, name="go_live", at=go_live)

    qa.refresh_from_db()
    assert qa.due_at == go_live + timedelta(days=1)
    assert Timer.objects.get(task=qa, kind=TimerKind.REMIND).due_at == go_live + timedelta(
        days=1, hours=-2
    )


def test_starting_is_refused_outside_ones_unit_without_the_right_or_for_a_retired_playbook(
    handoff: PlaybookVersion,
    harbor: Client,
    south_account_manager: User,
    service_agent: User,
    ops_lead: User,
    account_manager: User,
):
    with pytest.raises(PermissionDenied):
        services.start_run(
            by=south_account_manager, playbook=handoff.playbook, subject_id=harbor.pk
        )
    with pytest.raises(PermissionDenied):
        services.start_run(by=service_agent, playbook=handoff.playbook, subject_id=harbor.pk)

    services.set_playbook_active(by=ops_lead, playbook=handoff.playbook, active=False)
    with pytest.raises(ValidationError, match="retired"):
        services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    create_client(by=account_manager, data={"name": "After", "business_unit": harbor.business_unit})
    assert not Run.objects.exists()


def test_an_anchor_the_playbook_does_not_declare_is_refused(
    handoff: PlaybookVersion, harbor: Client, account_manager: User
):
    with pytest.raises(ValidationError) as refused:
        services.start_run(
            by=account_manager,
            playbook=handoff.playbook,
            subject_id=harbor.pk,
            anchors={"launch": START},
        )

    assert "'launch' is not an anchor of this playbook" in str(refused.value)
    assert not Run.objects.exists()


# Moving forward -------------------------------------------------------------------------


def test_completing_a_step_opens_the_next_with_a_due_time_from_its_completion(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    sales_rep: User,
    csm: User,
    smtp,
    clock: time_machine.Traveller,
):
    run = services.start_run(
        by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk, anchors={"sold": START}
    )
    services.complete_task(by=sales_rep, task=task(run, "handoff_notes"), note="Notes are in.")
    clock.move_to(START + timedelta(hours=6))

    services.complete_task(by=account_manager, task=task(run, "first_contact"), note="Called")

    check_in = task(run, "week_one_check_in")
    assert check_in.state == TaskState.OPEN
    assert check_in.assignee == csm
    assert check_in.due_at == START + timedelta(hours=6, days=7)
    tell = task(run, "tell_sales")
    assert (tell.state, tell.note) == (TaskState.DONE, "message queued")
    message = Message.objects.get(cause="playbook sales-handoff: tell_sales")
    assert [r.address for r in message.recipients.all()] == [sales_rep.email]
    assert message.subject == "Harbor Dental: first contact made"


def test_a_step_waits_until_every_step_it_needs_is_done(
    handoff: PlaybookVersion, harbor: Client, account_manager: User, sales_rep: User
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)

    services.complete_task(by=account_manager, task=task(run, "first_contact"))
    assert states(run)["week_one_check_in"] == TaskState.WAITING

    services.complete_task(by=sales_rep, task=task(run, "handoff_notes"))
    assert states(run)["week_one_check_in"] == TaskState.OPEN


def test_the_run_completes_when_every_step_is_settled(
    handoff: PlaybookVersion, harbor: Client, account_manager: User, sales_rep: User, csm: User
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    services.complete_task(by=sales_rep, task=task(run, "handoff_notes"))
    services.complete_task(by=account_manager, task=task(run, "first_contact"))
    assert Run.objects.get(pk=run.pk).state == RunState.RUNNING

    services.complete_task(by=csm, task=task(run, "week_one_check_in"))

    run.refresh_from_db()
    assert (run.state, run.ended_at is not None) == (RunState.COMPLETED, True)
    assert TimelineEvent.objects.filter(run=run, kind=EventKind.RUN_COMPLETED).count() == 1


def test_a_task_is_done_once_and_only_by_its_owner_or_a_supervisor(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    csm: User,
    team_lead: User,
    south_account_manager: User,
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    first_contact = task(run, "first_contact")

    with pytest.raises(PermissionDenied):
        services.complete_task(by=csm, task=first_contact)
    with pytest.raises(PermissionDenied):
        services.complete_task(by=south_account_manager, task=first_contact)
    services.complete_task(by=team_lead, task=first_contact, note="Done for Amy")
    with pytest.raises(ValidationError, match="not open"):
        services.complete_task(by=account_manager, task=first_contact)

    first_contact.refresh_from_db()
    assert (first_contact.closed_by, first_contact.note) == (team_lead, "Done for Amy")


def test_a_file_and_comments_stay_with_the_task(
    handoff: PlaybookVersion, harbor: Client, account_manager: User, sales_rep: User, csm: User
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    notes = task(run, "handoff_notes")
    services.comment_on_task(by=csm, task=notes, body="Include the landing pages please.")

    services.complete_task(
        by=sales_rep,
        task=notes,
        note="Attached",
        attachments=[services.Upload("order.txt", "text/plain", b"targeting: 25 miles")],
    )

    [attachment] = notes.attachments.all()
    assert (attachment.filename, bytes(attachment.content)) == ("order.txt", b"targeting: 25 miles")
    assert [c.body for c in notes.comments.all()] == ["Include the landing pages please."]
    with pytest.raises(ValidationError, match="Write something"):
        services.comment_on_task(by=csm, task=notes, body="  ")


def test_a_file_over_the_limit_is_refused_and_the_task_stays_open(
    handoff: PlaybookVersion, harbor: Client, account_manager: User, sales_rep: User
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    notes = task(run, "handoff_notes")
    too_big = b"x" * (services.MAX_ATTACHMENT_BYTES + 1)

    with pytest.raises(ValidationError, match="larger than"):
        services.complete_task(
            by=sales_rep, task=notes, attachments=[services.Upload("big.bin", "", too_big)]
        )

    notes.refresh_from_db()
    assert notes.state == TaskState.OPEN
    assert not notes.attachments.exists()


# Conditions and approvals ---------------------------------------------------------------


@pytest.fixture
def finance(north: BusinessUnit) -> User:
    return UserFactory.create(username="fin", roles=["finance"], units=[north])


@pytest.fixture
def accountant(north: BusinessUnit) -> User:
    return UserFactory.create(username="acc", roles=["accounting"], units=[north])


def test_a_step_whose_condition_is_false_is_skipped_with_the_reason(
    publish: Publish, harbor: Client, account_manager: User, team_lead: User, accountant: User
):
    version = publish(APPROVAL)
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)

    services.decide_approval(by=team_lead, task=task(run, "manager_approval"), decision="approved")

    finance_step = task(run, "finance_approval")
    assert finance_step.state == TaskState.SKIPPED
    assert finance_step.skip_reason == "its condition (mrr > 5000) does not hold"
    assert task(run, "process").state == TaskState.OPEN


def test_a_step_whose_condition_holds_opens(
    publish: Publish,
    harbor: Client,
    account_manager: User,
    team_lead: User,
    finance: User,
):
    from retainops.clients.testing import make_contract

    make_contract(harbor, {"seo": "6000.00"})
    version = publish(APPROVAL)
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)

    services.decide_approval(by=team_lead, task=task(run, "manager_approval"), decision="approved")

    finance_step = task(run, "finance_approval")
    assert (finance_step.state, finance_step.queue_role) == (TaskState.OPEN, "finance")
    assert services.in_queue(finance, finance_step)


# `name` is text: the definition's checks know the field, not its type, so this passes
# them, and comparing it with a number fails only when the step is about to open.
MISTYPED = """
key: long-names
name: Long names
steps:
  - key: intake
    title: Take in the order
    owner: role:account_manager
  - key: shorten
    title: Shorten the name for the ad accounts
    owner: role:account_manager
    needs: [intake]
    when: name > 5
  - key: wrap_up
    title: Wrap up
    owner: role:account_manager
    needs: [shorten]
"""


def test_a_condition_that_cannot_be_evaluated_skips_its_step_saying_why_and_the_run_goes_on(
    publish: Publish, harbor: Client, account_manager: User
):
    version = publish(MISTYPED)
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)

    services.complete_task(by=account_manager, task=task(run, "intake"), note="In")

    shorten = task(run, "shorten")
    assert shorten.state == TaskState.SKIPPED
    assert shorten.skip_reason.startswith("its condition (name > 5) could not be evaluated: ")
    assert "not supported between instances of 'str' and 'int'" in shorten.skip_reason
    assert TimelineEvent.objects.filter(
        run=run,
        kind=EventKind.TASK_SKIPPED,
        summary__contains="its condition (name > 5) could not be evaluated",
    ).exists()
    assert task(run, "wrap_up").state == TaskState.OPEN
    services.complete_task(by=account_manager, task=task(run, "wrap_up"))
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED


def test_the_requester_never_approves_their_own_request(
    publish: Publish, harbor: Client, team_lead: User
):
    version = publish(APPROVAL)
    run = services.start_run(by=team_lead, playbook=version.playbook, subject_id=harbor.pk)
    approval = task(run, "manager_approval")
    # Tess is the client's team lead, but she asked: the other team leads decide.
    assert (approval.assignee, approval.queue_role) == (None, "team_lead")

    with pytest.raises(PermissionDenied, match="someone else must approve"):
        services.decide_approval(by=team_lead, task=approval, decision="approved")
    with pytest.raises(ValidationError, match="never skipped"):
        services.skip_task(by=team_lead, task=approval, reason="I approve anyway")
    approval.refresh_from_db()
    assert approval.state == TaskState.OPEN
    other_lead = UserFactory.create(roles=["team_lead"], units=[harbor.business_unit])
    services.decide_approval(by=other_lead, task=approval, decision="approved")
    assert task(run, "process").state == TaskState.OPEN


def test_one_person_holding_two_approving_roles_decides_only_one_step_of_a_chain(
    publish: Publish, harbor: Client, account_manager: User, team_lead: User, north: BusinessUnit
):
    # Tess, the client's team lead, also works in finance: the chain asks two people,
    # not two hats.
    team_lead.roles.add(Role.objects.get(code="finance"))
    fay = User.objects.get(pk=team_lead.pk)  # a fresh read: roles are cached per object
    version = publish(APPROVAL.replace("mrr > 5000", "mrr >= 0"))
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)
    finance = UserFactory.create(username="finn_finance", roles=["finance"], units=[north])
    services.decide_approval(by=fay, task=task(run, "manager_approval"), decision="approved")
    finance_step = task(run, "finance_approval")
    assert finance_step.state == TaskState.OPEN
    assert not services.may_decide(fay, finance_step)

    with pytest.raises(PermissionDenied, match="each approver decides once"):
        services.decide_approval(by=fay, task=finance_step, decision="approved")

    assert task(run, "finance_approval").state == TaskState.OPEN
    services.decide_approval(by=finance, task=finance_step, decision="approved")
    assert task(run, "process").state == TaskState.OPEN


def test_an_approver_decides_once_and_only_their_own_step(
    publish: Publish, harbor: Client, account_manager: User, team_lead: User, csm: User
):
    version = publish(APPROVAL)
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)
    approval = task(run, "manager_approval")

    with pytest.raises(PermissionDenied):
        services.decide_approval(by=csm, task=approval, decision="approved")
    services.decide_approval(by=team_lead, task=approval, decision="approved", comment="Fine")
    with pytest.raises(ValidationError, match="not open"):
        services.decide_approval(by=team_lead, task=approval, decision="rejected", comment="No")

    approval.refresh_from_db()
    assert (approval.decision, approval.closed_by, approval.note) == (
        Decision.APPROVED,
        team_lead,
        "Fine",
    )
    assert TimelineEvent.objects.filter(task=approval, kind=EventKind.APPROVED).count() == 1


def test_an_approval_is_decided_not_completed_and_rejection_needs_a_reason(
    publish: Publish, harbor: Client, account_manager: User, team_lead: User
):
    version = publish(APPROVAL)
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)
    approval = task(run, "manager_approval")

    with pytest.raises(ValidationError, match="decided"):
        services.complete_task(by=team_lead, task=approval)
    with pytest.raises(ValidationError, match="Say why"):
        services.decide_approval(by=team_lead, task=approval, decision="rejected")
    with pytest.raises(ValidationError, match="approved"):
        services.decide_approval(by=team_lead, task=approval, decision="maybe")


def test_a_rejection_skips_what_needed_it_and_ends_the_run_as_rejected(
    publish: Publish, harbor: Client, account_manager: User, team_lead: User
):
    version = publish(APPROVAL)
    run = services.start_run(by=account_manager, playbook=version.playbook, subject_id=harbor.pk)

    services.decide_approval(
        by=team_lead,
        task=task(run, "manager_approval"),
        decision="rejected",
        comment="The client signed for 12 months.",
    )

    assert states(run) == {
        "manager_approval": TaskState.DONE,
        "finance_approval": TaskState.SKIPPED,
        "process": TaskState.SKIPPED,
    }
    assert "was rejected" in task(run, "finance_approval").skip_reason
    run.refresh_from_db()
    assert run.state == RunState.REJECTED


# Skipping and reassigning ----------------------------------------------------------------


def test_only_the_roles_a_step_names_may_skip_it_and_they_say_why(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    sales_rep: User,
    team_lead: User,
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    notes = task(run, "handoff_notes")

    for person in (account_manager, sales_rep):
        with pytest.raises(PermissionDenied, match="may not skip"):
            services.skip_task(by=person, task=notes, reason="Not needed")
    with pytest.raises(ValidationError, match="Say why"):
        services.skip_task(by=team_lead, task=notes, reason="")
    services.skip_task(by=team_lead, task=notes, reason="Renewal: operations knows the client")

    notes.refresh_from_db()
    assert (notes.state, notes.closed_by) == (TaskState.SKIPPED, team_lead)
    assert notes.skip_reason == "Renewal: operations knows the client"


def test_a_step_without_a_skip_list_is_skipped_by_supervisors_only(
    handoff: PlaybookVersion, harbor: Client, account_manager: User, team_lead: User
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    first_contact = task(run, "first_contact")

    with pytest.raises(PermissionDenied):
        services.skip_task(by=account_manager, task=first_contact, reason="Busy")
    services.skip_task(by=team_lead, task=first_contact, reason="Client on holiday")

    assert not Timer.objects.pending().filter(task=first_contact).exists()


def test_reassigning_hands_the_task_to_someone_of_the_unit(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    csm: User,
    south_account_manager: User,
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    first_contact = task(run, "first_contact")

    with pytest.raises(ValidationError, match="does not work in"):
        services.reassign_task(by=account_manager, task=first_contact, to=south_account_manager)
    with pytest.raises(PermissionDenied):
        services.reassign_task(by=csm, task=first_contact, to=csm)
    services.reassign_task(by=account_manager, task=first_contact, to=csm)

    first_contact.refresh_from_db()
    assert first_contact.assignee == csm
    services.complete_task(by=csm, task=first_contact)
    event = TimelineEvent.objects.get(task=first_contact, kind=EventKind.TASK_REASSIGNED)
    assert event.summary.endswith(f"-> {csm}")


# Versions, dates and cancellation -------------------------------------------------------


def test_publishing_a_new_version_leaves_runs_under_way_on_their_version(
    publish: Publish, handoff: PlaybookVersion, harbor: Client, account_manager: User
):
    from .conftest import LIBRARY

    old_run = services.start_run(
        by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk
    )
    source = (LIBRARY / "sales-handoff.yaml").read_text()
    new = publish(source.replace("24 hours after sold", "8 hours after sold"))

    new_run = services.start_run(
        by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk
    )

    assert (handoff.number, new.number) == (1, 2)
    old_run.refresh_from_db()
    assert old_run.version == handoff
    assert new_run.version == new
    old_due = task(old_run, "first_contact").due_at
    new_due = task(new_run, "first_contact").due_at
    assert old_due is None and new_due is None  # no sale date given: nothing is due yet
    services.move_anchor(by=account_manager, run=old_run, name="sold", at=START)
    services.move_anchor(by=account_manager, run=new_run, name="sold", at=START)
    assert task(old_run, "first_contact").due_at == START + timedelta(hours=24)
    assert task(new_run, "first_contact").due_at == START + timedelta(hours=8)


def test_a_slipped_go_live_moves_open_steps_their_reminders_and_the_meeting(
    publish: Publish, harbor: Client, account_manager: User, csm: User, clock
):
    version = publish(LAUNCH)
    go_live = START + timedelta(days=3)
    run = services.start_run(
        by=account_manager,
        playbook=version.playbook,
        subject_id=harbor.pk,
        anchors={"go_live": go_live},
    )
    meeting_step = task(run, "onboarding_meeting")
    meeting = Meeting.objects.get(task_meeting(meeting_step))
    assert (meeting.starts_at, meeting.sequence) == (go_live + timedelta(days=7), 0)
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=45)
    assert meeting.organizer == csm

    slipped = go_live + timedelta(days=5)
    services.move_anchor(by=account_manager, run=run, name="go_live", at=slipped)

    qa = task(run, "qa")
    assert qa.due_at == slipped + timedelta(days=1)
    assert Timer.objects.pending().get(
        task=qa, kind=TimerKind.REMIND
    ).due_at == slipped + timedelta(days=1, hours=-2)
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.sequence) == (slipped + timedelta(days=7), 1)
    invitations = Message.objects.filter(cause=f"meeting {meeting.uid}").order_by("id")
    assert [m.subject.split(":")[0] for m in invitations] == ["Invitation", "Moved"]
    assert TimelineEvent.objects.filter(run=run, kind=EventKind.ANCHOR_MOVED).count() == 1


def test_cancelling_a_run_closes_its_steps_drops_timers_and_calls_off_its_meeting(
    publish: Publish, harbor: Client, account_manager: User, csm: User, service_agent: User
):
    version = publish(LAUNCH)
    run = services.start_run(
        by=account_manager,
        playbook=version.playbook,
        subject_id=harbor.pk,
        anchors={"go_live": timezone.now() + timedelta(days=2)},
    )
    meeting_id = task(run, "onboarding_meeting").meeting_id
    assert meeting_id is not None

    with pytest.raises(PermissionDenied):
        services.cancel_run(by=service_agent, run=run, reason="No")
    with pytest.raises(ValidationError, match="Say why"):
        services.cancel_run(by=account_manager, run=run, reason=" ")
    services.cancel_run(by=account_manager, run=run, reason="The client withdrew the order")

    run.refresh_from_db()
    assert (run.state, run.end_reason) == (RunState.CANCELLED, "The client withdrew the order")
    assert set(states(run).values()) == {TaskState.CANCELLED}
    assert not Timer.objects.pending().filter(task__run=run).exists()
    assert Meeting.objects.get(pk=meeting_id).state == "cancelled"
    assert Message.objects.filter(subject__startswith="Cancelled: Reporting").count() == 1
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        services.cancel_run(by=account_manager, run=run, reason="again")


def test_the_timeline_tells_what_happened_in_order(
    clock, handoff: PlaybookVersion, harbor: Client, account_manager: User, sales_rep: User
):
    # The clock comes first so that the client and its contact are written at START too,
    # before the steps: the timeline orders by time, whatever today's date is.
    from retainops.playbooks.queries import client_timeline

    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    clock.move_to(START + timedelta(minutes=5))
    services.complete_task(by=sales_rep, task=task(run, "handoff_notes"))
    clock.move_to(START + timedelta(minutes=10))
    services.complete_task(by=account_manager, task=task(run, "first_contact"))

    entries = client_timeline(harbor)

    newest_first = [(e["source"], e["summary"]) for e in entries[:4]]
    # The first contact, the message it caused and its step happened in one instant.
    assert set(newest_first[:3]) == {
        ("process", "Tell the sales rep that first contact is made done"),
        ("message", "Harbor Dental: first contact made"),
        ("process", "First contact with the client done"),
    }
    assert newest_first[3] == ("process", "Write the hand-off notes for operations done")
    sources = {e["source"] for e in entries}
    assert sources == {"process", "message", "record"}


def test_a_message_step_records_the_run_that_sent_it(
    clock, handoff: PlaybookVersion, harbor: Client, account_manager: User
):
    run = services.start_run(by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk)
    services.complete_task(by=account_manager, task=task(run, "first_contact"))

    told = Message.objects.get(subject="Harbor Dental: first contact made")
    assert told.run == run
