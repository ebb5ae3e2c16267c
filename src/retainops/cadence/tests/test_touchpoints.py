"""Touchpoints meet planned occurrences of their channel within their window; the sweep
reminds once and marks what nobody met as missed; adherence counts it all."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retainops.cadence import queries, services
from retainops.cadence.choices import OccurrenceState, Outcome
from retainops.cadence.models import Occurrence, Touchpoint
from retainops.cadence.sweep import sweep
from retainops.core.events import emit
from retainops.messaging.events import MessageSent
from retainops.messaging.models import Message
from retainops.messaging.services import Outgoing, queue_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly_call(clock, harbor, account_manager, call):
    """Amy calls Harbor every Tuesday at 10:00 (on time within 2 days, late 7 more)."""
    return services.add_plan_item(
        by=account_manager,
        client=harbor,
        kind=call,
        rrule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 11, 24),
        owner_role="account_manager",
    )


def first(item):
    return Occurrence.objects.filter(item=item).order_by("due_at").first()


def test_a_call_within_the_window_meets_the_occurrence_on_time(
    clock, harbor, account_manager, weekly_call
):
    clock.move_to("2026-11-25T15:00:00+00:00")
    touchpoint = services.log_touchpoint(
        by=account_manager, client=harbor, channel="call", summary="Checked in on the campaign"
    )
    met = first(weekly_call)
    assert met.state == OccurrenceState.DONE and met.outcome == Outcome.ON_TIME
    assert met.touchpoint == touchpoint
    # One call meets one occurrence of the item: next week's is still planned.
    assert Occurrence.objects.filter(item=weekly_call, state=OccurrenceState.PLANNED).count() == 4


def test_a_call_after_the_window_is_late_and_an_email_meets_no_call(
    clock, harbor, account_manager, weekly_call
):
    clock.move_to("2026-11-28T12:00:00+00:00")
    services.log_touchpoint(by=account_manager, client=harbor, channel="email", summary="Recap")
    assert first(weekly_call).state == OccurrenceState.PLANNED
    services.log_touchpoint(by=account_manager, client=harbor, channel="call", summary="Late call")
    assert first(weekly_call).outcome == Outcome.LATE


def test_a_touchpoint_needs_a_channel_and_words_and_no_future(clock, harbor, account_manager):
    with pytest.raises(ValidationError) as refused:
        services.log_touchpoint(
            by=account_manager,
            client=harbor,
            channel="pigeon",
            at=timezone.now() + timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"channel", "at", "notes"}
    assert not Touchpoint.objects.exists()


def test_a_message_sent_to_the_clients_contacts_is_an_email_touchpoint(
    clock, harbor, account_manager, django_capture_on_commit_callbacks
):
    message = queue_message(
        outgoing=Outgoing(subject="Your monthly report", body_text="Attached.", to=["contacts"]),
        client=harbor,
        cause="written by staff",
        by=account_manager,
    )
    message.sent_at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        emit(MessageSent(message=message))
        emit(MessageSent(message=message))  # a repeat counts once
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.channel == "email" and touchpoint.source == "message"
    assert {c.email for c in touchpoint.contacts.all()} == {
        "dana@harbor.example",
        "jo@harbor.example",
    }


def test_a_message_to_staff_only_is_no_touchpoint(
    clock, harbor, account_manager, django_capture_on_commit_callbacks
):
    message = queue_message(
        outgoing=Outgoing(subject="Note", body_text="Internal.", to=["user:amy_am"]),
        client=harbor,
        cause="test",
    )
    with django_capture_on_commit_callbacks(execute=True):
        emit(MessageSent(message=message))
    assert not Touchpoint.objects.exists()


def test_the_reminder_goes_once_the_day_before(clock, harbor, account_manager, weekly_call):
    clock.move_to("2026-11-30T10:30:00+00:00")  # 23.5 hours before Tuesday 1 Dec 10:00
    sweep(now=timezone.now())
    sweep(now=timezone.now())
    reminders = Message.objects.filter(cause="contact plan reminder")
    # The 24 Nov occurrence is already past: its reminder is marked without a message.
    assert reminders.count() == 1
    assert "Harbor Dental" in reminders.get().subject


def test_an_occurrence_nobody_met_is_missed_after_its_late_window(
    clock, harbor, account_manager, weekly_call
):
    clock.move_to("2026-12-02T11:00:00+00:00")
    sweep(now=timezone.now())
    assert first(weekly_call).state == OccurrenceState.PLANNED  # still late-able
    clock.move_to(first(weekly_call).late_until + timedelta(minutes=1))
    sweep(now=timezone.now())
    assert first(weekly_call).state == OccurrenceState.MISSED


def test_a_skipped_occurrence_needs_a_reason_and_a_moved_one_keeps_its_place(
    clock, harbor, account_manager, weekly_call
):
    occurrence = first(weekly_call)
    with pytest.raises(ValidationError) as refused:
        services.skip_occurrence(by=account_manager, occurrence=occurrence, reason=" ")
    assert "reason" in refused.value.message_dict
    later = occurrence.due_at + timedelta(days=3)
    moved = services.move_occurrence(by=account_manager, occurrence=occurrence, due_at=later)
    assert moved.state == OccurrenceState.MOVED and moved.window_end == later + timedelta(days=2)
    services.skip_occurrence(by=account_manager, occurrence=occurrence, reason="Client on holiday")
    assert first(weekly_call).state == OccurrenceState.SKIPPED


def test_adherence_counts_on_time_late_missed_over_30_and_90_days(
    clock, harbor, account_manager, weekly_call
):
    # Week 1 on time, week 2 late, week 3 missed, week 4 skipped.
    clock.move_to("2026-11-24T12:00:00+00:00")
    services.log_touchpoint(by=account_manager, client=harbor, channel="call", summary="w1")
    clock.move_to("2026-12-05T12:00:00+00:00")
    services.log_touchpoint(by=account_manager, client=harbor, channel="call", summary="w2")
    week4 = Occurrence.objects.get(item=weekly_call, due_at__date=date(2026, 12, 15))
    services.skip_occurrence(by=account_manager, occurrence=week4, reason="Closed for stocktake")
    clock.move_to("2026-12-20T12:00:00+00:00")
    sweep(now=timezone.now())
    figures = queries.adherence(harbor, 30)
    assert (figures.planned, figures.on_time, figures.late, figures.missed, figures.skipped) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert queries.adherence(account_manager, 90).as_dict()["rate"] == round(1 / 3, 3)
    assert queries.days_since_last_touch(harbor) == 15


def test_clients_without_touch_by_unit_and_account_manager(
    clock, harbor, account_manager, south, colleague
):
    from retainops.clients.testing import ClientFactory

    quiet = ClientFactory.create(name="Quiet Bakery", business_unit=harbor.business_unit)
    ClientFactory.create(name="Far Away", business_unit=south)
    services.log_touchpoint(
        by=account_manager,
        client=harbor,
        channel="call",
        summary="Hello",
        at=timezone.now() - timedelta(days=20),
    )
    names = lambda found: [c.name for c in found]  # noqa: E731
    assert names(queries.clients_without_touch(30, unit=harbor.business_unit)) == ["Quiet Bakery"]
    assert names(queries.clients_without_touch(10, account_manager=account_manager)) == [
        "Harbor Dental"
    ]
    assert "Quiet Bakery" in names(queries.clients_without_touch(10)) and quiet
    assert queries.days_since_last_touch(quiet) is None


def test_the_worker_runs_the_occurrence_sweep_before_the_timers_and_the_outbox():
    from retainops.core.due_work import sources

    names = [source.name for source in sources()]
    assert names.index("cadence") < names.index("timers") < names.index("messages")


def test_a_sweep_that_dies_before_commit_leaves_the_reminder_for_the_next(
    clock, harbor, account_manager, weekly_call, monkeypatch
):
    from retainops.cadence import sweep as sweeping

    clock.move_to("2026-11-30T10:30:00+00:00")

    def die(_occurrence):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sweeping, "_remind", die)
    with pytest.raises(RuntimeError):
        sweeping.send_reminders(now=timezone.now(), limit=20)
    assert not Message.objects.filter(cause="contact plan reminder").exists()
    monkeypatch.undo()
    sweeping.send_reminders(now=timezone.now(), limit=20)
    sweeping.send_reminders(now=timezone.now(), limit=20)
    assert Message.objects.filter(cause="contact plan reminder").count() == 1
