"""Survey e-mails and reminders are sent once, even when the worker dies mid-batch."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from retainops.messaging.delivery import drain as deliver
from retainops.messaging.models import Message
from retainops.voice import services, timers
from retainops.voice.links import token_for
from retainops.voice.models import SurveyInvitation

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_reminder_for_an_unanswered_invitation_only(harbor, nps, send, clock):
    survey = send(nps, harbor)
    answered = survey.invitations.order_by("id").first()
    services.answer_survey(token=token_for(answered), raw={"score": "9"})
    clock.shift(timedelta(days=5, minutes=1))
    timers.drain(now=timezone.now())
    clock.shift(timedelta(days=3))
    timers.drain(now=timezone.now())
    reminders = Message.objects.filter(cause__startswith="survey reminder")
    assert list(reminders.values_list("recipients__address", flat=True)) == ["jane@harbor.example"]
    assert SurveyInvitation.objects.get(email="jane@harbor.example").state == "reminded"


def test_reminders_are_queued_once_when_the_worker_dies_mid_batch(harbor, nps, send, clock):
    send(nps, harbor)
    send(nps, harbor)  # four invitations
    clock.shift(timedelta(days=5, minutes=1))
    real = services.queue_message
    calls = {"n": 0}

    def dies_on_the_third(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real(**kwargs)

    with (
        mock.patch("retainops.voice.services.queue_message", side_effect=dies_on_the_third),
        pytest.raises(SystemExit),
    ):
        timers.sweep(now=timezone.now())
    # The dead batch rolled back: no reminder queued, none marked.
    assert not Message.objects.filter(cause__startswith="survey reminder").exists()
    assert not SurveyInvitation.objects.filter(reminder_fired_at__isnull=False).exists()
    timers.drain(now=timezone.now())
    timers.drain(now=timezone.now())
    causes = list(
        Message.objects.filter(cause__startswith="survey reminder").values_list("cause", flat=True)
    )
    assert len(causes) == len(set(causes)) == 4


def test_survey_mails_reach_the_smtp_server_once_each(harbor, nps, send, clock, smtp):
    send(nps, harbor)
    deliver(now=timezone.now(), worker="w1")
    deliver(now=timezone.now(), worker="w2")
    assert smtp.count() == 2
    assert sorted(m.to for m in smtp.received) == [
        "dana@harbor.example",
        "jane@harbor.example",
    ]
    assert all("/survey/" in m.part("text/plain") for m in smtp.received)
