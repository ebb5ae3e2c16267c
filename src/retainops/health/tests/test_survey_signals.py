"""The voice of the customer read as health signals: NPS, satisfaction, detractors and
survey response rate per client, and how the default scorecard weighs them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from retainops.clients.testing import ClientFactory
from retainops.health.models import ScorecardVersion
from retainops.health.scoring import score_one
from retainops.health.signals import provider, read_signals
from retainops.voice import services
from retainops.voice.links import token_for
from retainops.voice.tests.conftest import *  # noqa: F403

pytestmark = pytest.mark.django_db

SURVEY_SIGNALS = ["nps", "csat", "detractors", "survey_response_rate"]


def _default_card(number: int) -> ScorecardVersion:
    return ScorecardVersion.objects.get(scorecard__business_unit=None, number=number)


def test_one_detractor_of_two_invited_reads_as_each_signal(harbor, nps, send, clock):
    survey = send(nps, harbor)
    first = survey.invitations.order_by("id").first()
    services.answer_survey(token=token_for(first), raw={"score": "3"})
    clock.shift(timedelta(minutes=1))

    found = read_signals(SURVEY_SIGNALS, [harbor.pk], as_of=timezone.now())

    assert {key: found[key][harbor.pk] for key in SURVEY_SIGNALS} == {
        "nps": -100.0,
        "csat": None,
        "detractors": 1.0,
        "survey_response_rate": 0.5,
    }
    words = [provider(key).describe(found[key][harbor.pk]) for key in SURVEY_SIGNALS]
    assert words == [
        "NPS -100 over the last year",
        "no satisfaction answer in a year",
        "1 detractor answer or negative observation",
        "50% of surveys answered",
    ]


def test_answers_after_the_instant_asked_are_not_read(harbor, nps, send, clock):
    before = timezone.now()
    clock.shift(timedelta(minutes=1))
    survey = send(nps, harbor)
    services.answer_survey(token=token_for(survey.invitations.first()), raw={"score": "10"})

    found = read_signals(SURVEY_SIGNALS, [harbor.pk], as_of=before)

    assert [found[key][harbor.pk] for key in SURVEY_SIGNALS] == [None, None, 0.0, None]


def test_a_detractor_lowers_the_score_and_a_client_never_surveyed_is_not_penalised(
    harbor, nps, send, clock
):
    quiet = ClientFactory.create(business_unit=harbor.business_unit)
    survey = send(nps, harbor)
    for invitation in survey.invitations.all():
        services.answer_survey(token=token_for(invitation), raw={"score": "2"})
    clock.shift(timedelta(minutes=1))
    v1, v2 = _default_card(1), _default_card(2)
    wanted = {m.signal for m in v2.measures.all()}
    values = read_signals(wanted, [harbor.pk, quiet.pk], as_of=timezone.now())

    quiet_v1, quiet_v2 = score_one(quiet.pk, v1, values), score_one(quiet.pk, v2, values)
    harbor_v2 = score_one(harbor.pk, v2, values)

    assert quiet_v2.score == quiet_v1.score
    nps_part = next(c for c in quiet_v2.contributions if c["signal"] == "nps")
    assert (nps_part["max"], nps_part["words"]) == (0.0, "no NPS answer in a year (not counted)")
    harbor_nps = next(c for c in harbor_v2.contributions if c["signal"] == "nps")
    assert (harbor_nps["points"], harbor_nps["max"] > 0) == (0.0, True)
    assert harbor_v2.score < score_one(harbor.pk, v1, values).score
