"""Timers: reminders before due, escalations after, ends of waits; each fired once by
`retainops tick`, its message delivered to a real SMTP server. The clock is moved."""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.messaging.models import Message
from retainops.messaging.testing import SmtpPeer
from retainops.playbooks import services, timers
from retainops.playbooks.choices import EventKind, TaskState, TimerKind
from retainops.playbooks.models import PlaybookVersion, Run, Task, TimelineEvent, Timer

from .conftest import START

Publish = Callable[[str], PlaybookVersion]

WAITING = """
key: settle-in
name: Let the campaign settle, then review
anchors: [go_live]
steps:
  - key: settle
    title: Let the data flow for three days
    kind: wait
    due: 3 days after go_live
  - key: review
    title: Review the first figures
    owner: role:account_manager
    needs: [settle]
    due: 1 day after settle
    escalate:
      - after: 2 hours
        to: role:team_lead
        reassign: true
"""


def tick(at=None) -> str:
    output = StringIO()
    if at is None:
        call_command("tick", stdout=output)
    else:
        call_command("tick", "--at", at.isoformat(), stdout=output)
    return output.getvalue().strip()


def start(handoff: PlaybookVersion, client: Client, by: User) -> Run:
    return services.start_run(
        by=by, playbook=handoff.playbook, subject_id=client.pk, anchors={"sold": START}
    )


def first_contact(run: Run) -> Task:
    return Task.objects.get(run=run, step_key="first_contact")


def subjects(smtp: SmtpPeer) -> list[tuple[str, list[str]]]:
    return sorted((mail.subject, sorted(mail.envelope_to)) for mail in smtp.received)


def test_the_owner_is_reminded_once_four_hours_before_first_contact_is_due(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    run = start(handoff, harbor, account_manager)
    remind_at = START + timedelta(hours=20)

    clock.move_to(remind_at - timedelta(minutes=1))
    # The hand-off notes were due at 4 hours: their miss is recorded, and nobody is mailed.
    assert "timers: 1 fired, 0 failed\nmessages: 0 sent, 0 to retry, 0 failed" in tick()
    clock.move_to(remind_at)
    assert tick() == "timers: 1 fired, 0 failed\nmessages: 1 sent, 0 to retry, 0 failed"
    clock.move_to(remind_at + timedelta(hours=1))
    assert tick() == "messages: 0 sent, 0 to retry, 0 failed"

    assert subjects(smtp) == [
        ("Reminder: First contact with the client (Harbor Dental)", [account_manager.email])
    ]
    [mail] = smtp.received
    assert f"/work/tasks/{first_contact(run).pk}/" in mail.part("text/plain")
    timer = Timer.objects.get(task=first_contact(run), kind=TimerKind.REMIND)
    assert timer.fired_at == remind_at
    assert timer.outcome.startswith("message ")


def test_a_missed_first_contact_is_escalated_to_the_team_lead_and_shows_as_missed(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    team_lead: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    run = start(handoff, harbor, account_manager)
    due = START + timedelta(hours=24)

    clock.move_to(due)
    # The reminder (late), the escalation, and the hand-off notes' miss (no escalation).
    assert "timers: 3 fired, 0 failed" in tick()

    assert (
        "Missed: First contact with the client (Harbor Dental)",
        [team_lead.email],
    ) in subjects(smtp)
    task = first_contact(run)
    assert task.escalated_at == due
    assert task.state == TaskState.OPEN  # still the AM's: escalating tells, it does not take
    missed = TimelineEvent.objects.get(task=task, kind=EventKind.TASK_MISSED)
    assert str(team_lead) in missed.summary


def test_a_step_without_an_escalation_is_recorded_as_missed_once_and_tells_no_one(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    sales_rep: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    run = start(handoff, harbor, account_manager)
    notes = Task.objects.get(run=run, step_key="handoff_notes")

    clock.move_to(START + timedelta(hours=4, seconds=-1))
    tick()
    assert not TimelineEvent.objects.filter(task=notes, kind=EventKind.TASK_MISSED).exists()
    clock.move_to(START + timedelta(hours=4))
    tick()
    clock.move_to(START + timedelta(hours=5))
    tick()

    [missed] = TimelineEvent.objects.filter(task=notes, kind=EventKind.TASK_MISSED)
    assert missed.summary == (
        f"Write the hand-off notes for operations was not done by its due time ({sales_rep})"
    )
    assert missed.at == START + timedelta(hours=4)
    assert smtp.received == []
    notes.refresh_from_db()
    assert notes.state == TaskState.OPEN


def test_a_step_done_in_time_is_never_recorded_as_missed(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    sales_rep: User,
    clock: time_machine.Traveller,
):
    run = start(handoff, harbor, account_manager)
    notes = Task.objects.get(run=run, step_key="handoff_notes")
    clock.move_to(START + timedelta(hours=3))
    services.complete_task(by=sales_rep, task=notes, note="Sold display and SEO")

    clock.move_to(START + timedelta(hours=6))
    tick()

    assert not TimelineEvent.objects.filter(task=notes, kind=EventKind.TASK_MISSED).exists()
    missed_timer = Timer.objects.get(task=notes, kind=TimerKind.MISSED)
    assert (missed_timer.fired_at, missed_timer.dropped_at) == (None, START + timedelta(hours=3))


def test_a_task_done_in_time_sends_no_reminder_and_no_escalation(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    run = start(handoff, harbor, account_manager)
    clock.move_to(START + timedelta(hours=2))
    services.complete_task(by=account_manager, task=first_contact(run), note="Called Dana")

    clock.move_to(START + timedelta(days=2))
    tick()

    assert [s for s, _to in subjects(smtp)] == ["Harbor Dental: first contact made"]
    dropped = Timer.objects.filter(task=first_contact(run))
    assert all(t.fired_at is None and t.dropped_at is not None for t in dropped)
    assert dropped.count() == 2


def test_a_wait_ends_by_itself_and_the_next_step_opens(
    publish: Publish, harbor: Client, account_manager: User, clock: time_machine.Traveller
):
    version = publish(WAITING)
    run = services.start_run(
        by=account_manager,
        playbook=version.playbook,
        subject_id=harbor.pk,
        anchors={"go_live": START},
    )
    assert dict(run.tasks.values_list("step_key", "state")) == {
        "settle": TaskState.OPEN,
        "review": TaskState.WAITING,
    }

    clock.move_to(START + timedelta(days=3))
    tick()

    settle = Task.objects.get(run=run, step_key="settle")
    review = Task.objects.get(run=run, step_key="review")
    assert (settle.state, settle.closed_by, settle.note) == (TaskState.DONE, None, "the wait ended")
    assert review.state == TaskState.OPEN
    assert review.due_at == START + timedelta(days=4)


# A wait whose end opens a review with `{timers}` (the step's reminders and escalations).
WAIT_THEN_REVIEW = """
key: {key}
name: Wait, then review
anchors: [go_live]
steps:
  - key: settle
    title: Let the data flow for three days
    kind: wait
    due: 3 days after go_live
  - key: review
    title: Review the first figures
    owner: role:account_manager
    needs: [settle]
    due: 1 day after settle
{timers}
"""
ONE_TIMER = "    escalate: [{after: 2 hours, to: role:team_lead}]"
SIX_TIMERS = """    remind: [20 hours, 12 hours, 2 hours]
    escalate:
      - {after: 0 hours, to: role:team_lead}
      - {after: 1 day, to: role:team_lead}
      - {after: 2 days, to: role:team_lead}"""


def test_the_end_of_a_wait_arms_the_next_steps_timers_together(
    publish: Publish, harbor: Client, account_manager: User, clock: time_machine.Traveller
):
    """The queries of ending a wait do not grow with the timers the next step arms."""
    queries = {}
    for key, timers_yaml, go_live in [
        ("one-timer", ONE_TIMER, START),
        ("six-timers", SIX_TIMERS, START + timedelta(days=1)),
    ]:
        version = publish(WAIT_THEN_REVIEW.format(key=key, timers=timers_yaml))
        run = services.start_run(
            by=account_manager,
            playbook=version.playbook,
            subject_id=harbor.pk,
            anchors={"go_live": go_live},
        )
        ends = go_live + timedelta(days=3)
        with time_machine.travel(ends, tick=False), CaptureQueriesContext(connection) as captured:
            report = timers.fire_due(now=ends)
        review = Task.objects.get(run=run, step_key="review")
        armed = Timer.objects.filter(task=review, fired_at=None, dropped_at=None).count()
        queries[key] = (report.fired, review.state, armed, len(captured.captured_queries))

    (_, _, _, few), (_, _, _, many) = queries["one-timer"], queries["six-timers"]
    assert queries["one-timer"][:3] == (1, TaskState.OPEN, 1)
    assert queries["six-timers"][:3] == (1, TaskState.OPEN, 6)
    assert many == few, queries


def test_an_escalation_may_hand_the_task_to_the_person_it_escalates_to(
    publish: Publish,
    harbor: Client,
    account_manager: User,
    team_lead: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    version = publish(WAITING)
    run = services.start_run(
        by=account_manager,
        playbook=version.playbook,
        subject_id=harbor.pk,
        anchors={"go_live": START},
    )
    clock.move_to(START + timedelta(days=3))
    tick()

    clock.move_to(START + timedelta(days=4, hours=2))
    tick()

    review = Task.objects.get(run=run, step_key="review")
    assert review.assignee == team_lead
    timer = Timer.objects.get(task=review, kind=TimerKind.ESCALATE)
    assert timer.outcome.endswith(f"reassigned to {team_lead}")


def test_a_reminder_fired_for_the_old_date_is_armed_again_when_the_date_slips(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    smtp: SmtpPeer,
    clock: time_machine.Traveller,
):
    run = start(handoff, harbor, account_manager)
    clock.move_to(START + timedelta(hours=20))
    tick()
    assert smtp.count() == 1

    services.move_anchor(by=account_manager, run=run, name="sold", at=START + timedelta(days=2))

    reminders = Timer.objects.filter(task=first_contact(run), kind=TimerKind.REMIND)
    assert sorted((t.due_at, t.fired_at is not None) for t in reminders) == [
        (START + timedelta(hours=20), True),
        (START + timedelta(days=3, hours=-4), False),
    ]
    clock.move_to(START + timedelta(days=3, hours=-4))
    tick()
    assert smtp.count() == 2


def test_a_timer_whose_effect_breaks_is_recorded_and_does_not_stop_the_others(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
):
    run = start(handoff, harbor, account_manager)
    real_fire = timers.fire

    def fire_or_break(timer: Timer) -> str:
        if timer.kind == TimerKind.REMIND:
            raise RuntimeError("template engine exploded")
        return real_fire(timer)

    monkeypatch.setattr(timers, "fire", fire_or_break)

    report = timers.fire_due(now=START + timedelta(hours=24))

    # The escalation and the hand-off notes' miss fire; the reminder breaks alone.
    assert (report.fired, report.failed) == (2, 1)
    reminder = Timer.objects.get(task=first_contact(run), kind=TimerKind.REMIND)
    assert reminder.outcome == "failed: RuntimeError: template engine exploded"
    assert not Message.objects.filter(subject__startswith="Reminder").exists()
    assert Message.objects.filter(subject__startswith="Missed").count() == 1


def test_a_crash_in_the_middle_of_a_batch_fires_nothing_then_each_timer_once(
    handoff: PlaybookVersion,
    harbor: Client,
    account_manager: User,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
):
    """A process dying mid-batch (here: an exception no handler catches, as a kill would
    stop it) rolls the whole batch back: no timer marked, no message queued."""
    for _ in range(5):
        start(handoff, harbor, account_manager)
    real_fire = timers.fire
    fired: list[int] = []

    class Killed(BaseException):
        pass

    def fire_then_die(timer: Timer) -> str:
        if len(fired) == 3:
            raise Killed
        fired.append(timer.pk)
        return real_fire(timer)

    monkeypatch.setattr(timers, "fire", fire_then_die)
    with pytest.raises(Killed):
        timers.fire_due(now=START + timedelta(hours=21))
    assert Timer.objects.filter(fired_at__isnull=False).count() == 0
    assert not Message.objects.exists()

    monkeypatch.setattr(timers, "fire", real_fire)
    report = timers.fire_all_due(now=START + timedelta(hours=21))

    # Five reminders, and five hand-off notes recorded as missed (each once).
    assert report.fired == 10
    missed = TimelineEvent.objects.filter(kind=EventKind.TASK_MISSED)
    assert missed.count() == 5 and missed.values("task").distinct().count() == 5
    reminders = Message.objects.filter(subject__startswith="Reminder")
    assert reminders.count() == 5
    assert timers.fire_all_due(now=START + timedelta(hours=21)).handled == 0
