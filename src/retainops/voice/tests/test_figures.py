"""The figures the health score reads: NPS with its count, CSAT, detractors and response
rate per client at a point in time, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.voice import queries, services
from retainops.voice.links import token_for
from retainops.voice.models import SurveyAnswer

pytestmark = pytest.mark.django_db


def _answer_all(survey, scores):
    for invitation, score in zip(survey.invitations.order_by("id"), scores, strict=True):
        services.answer_survey(token=token_for(invitation), raw={"score": str(score)})


def test_nps_is_promoters_minus_detractors_with_its_count(harbor, nps, send, clock):
    ContactFactory.create(client=harbor, name="Hal Harbor", email="hal@harbor.example")
    _answer_all(send(nps, harbor), [10, 9, 3])
    figure = queries.nps_by_client([harbor.pk], as_of=timezone.now())[harbor.pk]
    assert (figure.promoters, figure.passives, figure.detractors, figure.answers) == (2, 0, 1, 3)
    assert figure.score == pytest.approx(33.3, abs=0.05)


def test_figures_count_only_what_was_recorded_by_as_of(harbor, nps, send, clock):
    before = timezone.now()
    clock.shift(timedelta(minutes=1))
    _answer_all(send(nps, harbor), [10, 0])
    assert queries.nps_by_client([harbor.pk], as_of=before) == {}
    clock.shift(timedelta(days=400))
    assert queries.nps_by_client([harbor.pk], as_of=timezone.now()) == {}
    old = queries.nps_by_client([harbor.pk], as_of=timezone.now(), window_days=500)[harbor.pk]
    assert (old.score, old.answers) == (0.0, 2)


def test_csat_detractors_and_response_rate(harbor, csat, send, clock, account_manager):
    survey = send(csat, harbor)
    first = survey.invitations.order_by("id").first()
    services.answer_survey(token=token_for(first), raw={"score": "2"})
    services.record_observation(
        by=account_manager, client=harbor, category="service", sentiment="negative", text="Slow"
    )
    now = timezone.now()
    assert queries.csat_by_client([harbor.pk], as_of=now)[harbor.pk].average == 2.0
    assert queries.detractors_by_client([harbor.pk], as_of=now) == {harbor.pk: 2}
    assert queries.survey_response_rate_by_client([harbor.pk], as_of=now) == {harbor.pk: 0.5}


def test_each_figure_costs_the_same_queries_for_one_client_or_many(harbor, north, nps, send, clock):
    others = [ClientFactory.create(business_unit=north) for _ in range(4)]
    for client in others:
        ContactFactory.create(client=client, email=f"c{client.pk}@example.com")
        _answer_all(send(nps, client), [8])
    ids = [harbor.pk, *(c.pk for c in others)]
    now = timezone.now()
    for query in (
        queries.nps_by_client,
        queries.csat_by_client,
        queries.detractors_by_client,
        queries.survey_response_rate_by_client,
    ):
        with CaptureQueriesContext(connection) as one:
            query([harbor.pk], as_of=now)
        with CaptureQueriesContext(connection) as many:
            result = query(ids, as_of=now)
        assert len(one) == len(many) <= 2
        assert isinstance(result, dict)
    assert SurveyAnswer.objects.count() == 4
