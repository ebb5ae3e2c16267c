"""The response rate beside NPS and CSAT per unit and account manager: answered of sent,
both counts shown, for the invitations sent in the period, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import Role
from retainops.voice import queries, services
from retainops.voice.links import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def quay(south, south_account_manager):
    """A South client of Sam's with two contacts."""
    client = ClientFactory.create(name="Quay Optics", business_unit=south)
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=south_account_manager
    )
    ContactFactory.create(client=client, name="Quin", email="quin@quay.example")
    ContactFactory.create(client=client, name="Rae", email="rae@quay.example")
    return client


def _answer(survey, scores):
    for invitation, score in zip(survey.invitations.order_by("id"), scores, strict=False):
        services.answer_survey(token=token_for(invitation), raw={"score": str(score)})


@pytest.fixture
def sent(harbor, quay, nps, csat, clock):
    """Last year, before the period: a Harbor survey nobody answered. Then in the period,
    Harbor (North, Amy): 4 sent, 3 answered; Quay (South, Sam): 2 sent, 1 answered."""
    services.dispatch_survey(definition=nps, client=harbor)
    clock.shift(timedelta(days=400))
    _answer(services.dispatch_survey(definition=nps, client=harbor), [10, 3])
    _answer(services.dispatch_survey(definition=csat, client=harbor), [4])
    _answer(services.dispatch_survey(definition=nps, client=quay), [9])


def _rates(rows):
    return {r["group"]: (r["answered"], r["sent"], r["response_rate"]) for r in rows}


def _figures(user, by):
    now = timezone.now()
    return queries.figures_by(user, by, since=now - timedelta(days=365), until=now)


def test_the_response_rate_per_unit_and_account_manager_counts_answered_of_sent(
    sent, administrator
):
    by_unit = _figures(administrator, "unit")
    assert _rates(by_unit) == {"North Media": (3, 4, 0.75), "South Digital": (1, 2, 0.5)}
    north = next(r for r in by_unit if r["group"] == "North Media")
    assert (north["nps"].answers, north["csat_answers"]) == (2, 1)
    assert _rates(_figures(administrator, "account_manager")) == {
        "amy_am": (3, 4, 0.75),
        "sam_south": (1, 2, 0.5),
    }


def test_a_group_sent_surveys_but_no_answer_shows_0_of_its_count(harbor, nps, clock, administrator):
    services.dispatch_survey(definition=nps, client=harbor)
    [row] = _figures(administrator, "unit")
    assert (row["group"], row["answered"], row["sent"], row["response_rate"]) == (
        "North Media",
        0,
        2,
        0.0,
    )
    assert row["nps"] is None


def test_a_person_sees_only_their_units_rates(sent, account_manager):
    assert _rates(_figures(account_manager, "unit")) == {"North Media": (3, 4, 0.75)}


def test_the_breakdown_costs_the_same_queries_for_more_groups(sent, administrator, nps, north):
    _figures(administrator, "unit")  # what the person may see is read once, then kept
    with CaptureQueriesContext(connection) as few:
        _figures(administrator, "unit")
    for _ in range(3):
        client = ClientFactory.create(business_unit=north)
        ContactFactory.create(client=client, email=f"c{client.pk}@example.com")
        _answer(services.dispatch_survey(definition=nps, client=client), [8])
    with CaptureQueriesContext(connection) as more:
        rows = _figures(administrator, "unit")
    assert len(few) == len(more)
    assert _rates(rows)["North Media"] == (6, 7, round(6 / 7, 3))


def test_the_page_and_the_api_show_both_counts(sent, administrator, client, api_as):
    client.force_login(administrator)
    page = client.get("/voice/").content.decode()
    assert "3 of 4 (75%)" in page and "1 of 2 (50%)" in page
    rows = api_as(administrator).get("/voice/figures/by/account_manager?days=365").json()
    amy = next(r for r in rows if r["group"] == "amy_am")
    assert (amy["answered"], amy["sent"], amy["response_rate"]) == (3, 4, 0.75)
    assert (amy["nps_answers"], amy["promoters"], amy["detractors"]) == (2, 1, 1)
    assert api_as(administrator).get("/voice/figures/by/colour").status_code == 422
