"""Detractors act: a follow-up for the account manager within one business day, and by
the configured rule a complaint; the answer's text joins the themes."""

from datetime import datetime

import pytest

from retainops.complaints.models import Complaint
from retainops.messaging.models import Message
from retainops.voice import services, timers
from retainops.voice.models import FollowUp
from retainops.voice.tests.conftest import first_token

pytestmark = pytest.mark.django_db


def test_a_detractor_opens_a_follow_up_due_within_one_business_day(
    harbor, nps, send, clock, account_manager
):
    answer = services.answer_survey(
        token=first_token(send(nps, harbor)), raw={"score": "5", "why": "Reports are late"}
    )
    follow_up = FollowUp.objects.get(answer=answer)
    assert follow_up.owner == account_manager
    # Answered Tuesday 09:00 London: due at the close, eight working hours later.
    assert follow_up.due_at == datetime.fromisoformat("2026-11-24T17:00:00+00:00")
    assert Message.objects.filter(cause=f"detractor follow-up {follow_up.pk}").count() == 1
    assert follow_up.complaint is None  # 5 is above the default rule's 3


def test_a_friday_afternoon_detractor_is_due_on_monday(harbor, nps, send, clock):
    clock.move_to(datetime.fromisoformat("2026-11-27T16:00:00+00:00"))
    answer = services.answer_survey(token=first_token(send(nps, harbor)), raw={"score": "2"})
    assert answer.follow_up.due_at == datetime.fromisoformat("2026-11-30T16:00:00+00:00")


def test_a_promoter_or_passive_opens_nothing(harbor, nps, send, clock):
    survey = send(nps, harbor)
    for invitation, score in zip(survey.invitations.order_by("id"), ("7", "10"), strict=True):
        from retainops.voice.links import token_for

        services.answer_survey(token=token_for(invitation), raw={"score": score})
    assert not FollowUp.objects.exists()


def test_the_rule_opens_a_complaint_for_a_deep_detractor(harbor, nps, send, clock, account_manager):
    answer = services.answer_survey(
        token=first_token(send(nps, harbor)), raw={"score": "1", "why": "Invoice was wrong again"}
    )
    complaint = Complaint.objects.get(client=harbor)
    assert answer.follow_up.complaint == complaint
    assert complaint.owner == account_manager
    assert complaint.description == "Invoice was wrong again"


def test_a_rule_without_thresholds_opens_no_complaint(harbor, csat, send, clock, administrator):
    services.save_detractor_rule(
        by=administrator, complaint_at_nps=None, complaint_at_csat=None, severity="low"
    )
    services.answer_survey(token=first_token(send(csat, harbor)), raw={"score": "1"})
    assert FollowUp.objects.count() == 1
    assert not Complaint.objects.exists()


def test_a_missed_follow_up_is_escalated_once(harbor, nps, send, clock, account_manager):
    services.answer_survey(token=first_token(send(nps, harbor)), raw={"score": "4"})
    clock.move_to(datetime.fromisoformat("2026-11-24T16:59:00+00:00"))
    timers.drain(now=_now())
    assert not Message.objects.filter(cause__startswith="follow-up escalation").exists()
    clock.move_to(datetime.fromisoformat("2026-11-24T17:01:00+00:00"))
    timers.drain(now=_now())
    timers.drain(now=_now())
    assert Message.objects.filter(cause__startswith="follow-up escalation").count() == 1


def test_completing_a_follow_up_stops_its_escalation(harbor, nps, send, clock, account_manager):
    answer = services.answer_survey(token=first_token(send(nps, harbor)), raw={"score": "4"})
    services.complete_follow_up(by=account_manager, follow_up=answer.follow_up, note="Called")
    clock.move_to(datetime.fromisoformat("2026-11-26T09:00:00+00:00"))
    timers.drain(now=_now())
    assert not Message.objects.filter(cause__startswith="follow-up escalation").exists()


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()
