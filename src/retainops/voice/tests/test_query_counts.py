"""The voice overview and the surveys' API lists answer in a number of queries fixed by
the page, not by how many surveys and answers they show: each is counted at two sizes."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.core.testing import queries_of_page
from retainops.voice import services
from retainops.voice.models import Survey, SurveyDefinition

from .conftest import first_token

pytestmark = pytest.mark.django_db


def _grow(send: Callable[..., Survey], nps: SurveyDefinition, harbor: Client, count: int) -> None:
    """`count` more NPS surveys to the client's two contacts, one answered (scores 0 to 10:
    detractors bring follow-ups)."""
    for n in range(count):
        survey = send(nps, harbor)
        services.answer_survey(token=first_token(survey), raw={"score": str(n % 11)})


_queries = queries_of_page


@pytest.mark.parametrize(
    "url",
    [
        "/voice/",
        "/api/v1/surveys",
        "/api/v1/surveys/follow-ups",
        "/api/v1/voice/figures",
        "/api/v1/observations",
    ],
)
def test_a_page_costs_the_same_queries_for_two_surveys_as_for_twelve(
    clock: Any,
    client: HttpClient,
    account_manager: User,
    harbor: Client,
    nps: SurveyDefinition,
    send: Callable[..., Survey],
    url: str,
) -> None:
    client.force_login(account_manager)
    _grow(send, nps, harbor, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(send, nps, harbor, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 surveys, {large} for 12"
