"""Cross-team feedback meetings: one recurring calendar invitation, an agenda assembled
from registered sections, minutes, and action items that remind, escalate and carry over
until done."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retainops.messaging.models import Message
from retainops.voice import agenda, services, timers
from retainops.voice.models import ActionItem, FeedbackSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(harbor, account_manager, clock):
    return services.schedule_feedback_meeting(
        by=account_manager,
        client=harbor,
        title="Harbor Dental feedback",
        starts_at=timezone.now() + timedelta(days=2),
        attendees=[f"user:{account_manager.username}", "dana@harbor.example"],
        every_days=28,
    )


def test_scheduling_sends_one_recurring_calendar_invitation(series):
    message = Message.objects.get(cause=f"meeting {series.meeting.uid}")
    ics = bytes(message.attachments.get().content).decode()
    assert "METHOD:REQUEST" in ics
    assert "RRULE:FREQ=DAILY;INTERVAL=28" in ics
    assert series.sessions.count() == 1


def test_the_agenda_is_assembled_from_its_sections(series, harbor, account_manager):
    services.record_observation(
        by=account_manager,
        client=harbor,
        category="results",
        sentiment="negative",
        text="Customers say the landing page is slow",
    )
    session = series.sessions.get()
    keys = [s.key for s in agenda.assemble(session)]
    assert keys == [
        "performance",
        "complaints",
        "surveys",
        "observations",
        "recommendations",
        "actions",
    ]
    built = {s.key: s.values for s in agenda.assemble(session)}
    assert built["performance"]["placeholder"] is True
    assert built["observations"]["observations"][0]["text"].startswith("Customers say")


def test_a_later_registration_replaces_the_performance_placeholder(series):
    try:
        agenda.register_agenda_section("performance", "Program KPIs", 10, lambda s: {"leads": 42})
        built = agenda.assemble(series.sessions.get())
        assert (built[0].title, built[0].values) == ("Program KPIs", {"leads": 42})
    finally:
        agenda.register_own_sections()


def test_open_action_items_carry_over_until_done(series, account_manager, clock):
    first = series.sessions.get()
    services.hold_feedback_meeting(
        by=account_manager,
        session=first,
        minutes="Agreed to speed up the landing page.",
        actions=[services.ActionPlan("Compress images", account_manager, date(2026, 12, 4))],
    )
    second = FeedbackSession.objects.get(series=series, state="planned")
    assert second.starts_at == first.starts_at + timedelta(days=28)
    carried = {s.key: s.values for s in agenda.assemble(second)}["actions"]["actions"]
    assert [a["title"] for a in carried] == ["Compress images"]
    services.complete_action_item(by=account_manager, action=ActionItem.objects.get())
    assert {s.key: s.values for s in agenda.assemble(second)}["actions"]["actions"] == []
    first.refresh_from_db()
    assert first.minutes and first.agenda[0]["key"] == "performance"


def test_an_action_item_is_reminded_then_escalated_once(series, account_manager, clock):
    services.hold_feedback_meeting(
        by=account_manager,
        session=series.sessions.get(),
        minutes="Minutes",
        actions=[services.ActionPlan("Send the audit", account_manager, date(2026, 11, 27))],
    )
    clock.move_to(datetime.fromisoformat("2026-11-26T09:30:00+00:00"))
    timers.drain(now=timezone.now())
    clock.move_to(datetime.fromisoformat("2026-11-28T09:30:00+00:00"))
    timers.drain(now=timezone.now())
    timers.drain(now=timezone.now())
    causes = sorted(
        Message.objects.filter(cause__startswith="feedback action").values_list("cause", flat=True)
    )
    item = ActionItem.objects.get()
    assert causes == [
        f"feedback action escalation {item.pk}",
        f"feedback action reminder {item.pk}",
    ]


def test_minutes_twice_or_without_text_are_refused(series, account_manager):
    session = series.sessions.get()
    with pytest.raises(ValidationError) as refused:
        services.hold_feedback_meeting(by=account_manager, session=session, minutes=" ")
    assert "minutes" in refused.value.message_dict
    services.hold_feedback_meeting(by=account_manager, session=session, minutes="Done")
    with pytest.raises(ValidationError):
        services.hold_feedback_meeting(by=account_manager, session=session, minutes="Again")
    assert FeedbackSession.objects.count() == 2
