"""The answer page (no account, the portal's look) and the staff pages."""

from datetime import timedelta

import pytest

from retainops.voice.models import SurveyAnswer
from retainops.voice.tests.conftest import first_token

pytestmark = pytest.mark.django_db


def test_the_answer_page_takes_one_answer(client, harbor, nps, send, clock):
    token = first_token(send(nps, harbor))
    page = client.get(f"/survey/{token}/")
    assert page.status_code == 200
    assert 'name="viewport"' in page.content.decode()
    refused = client.post(f"/survey/{token}/", {"score": "11"})
    assert refused.status_code == 400
    assert "Choose a number from 0 to 10." in refused.content.decode()
    assert client.post(f"/survey/{token}/", {"score": "8", "why": "Fine"}).status_code == 200
    used = client.get(f"/survey/{token}/")
    assert used.status_code == 410
    assert "already been answered" in used.content.decode()
    assert SurveyAnswer.objects.count() == 1


def test_expired_and_altered_links_say_so(client, harbor, nps, send, clock):
    token = first_token(send(nps, harbor))
    assert "altered" in client.get(f"/survey/{token[:-1]}Z/").content.decode()
    clock.shift(timedelta(days=15))
    expired = client.get(f"/survey/{token}/")
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_the_overview_shows_counts_and_the_trend(client, harbor, nps, send, clock, account_manager):
    from retainops.voice import services

    services.answer_survey(token=first_token(send(nps, harbor)), raw={"score": "3"})
    client.force_login(account_manager)
    page = client.get("/voice/").content.decode()
    assert "1 answer" in page
    assert "<svg" in page
    assert "1 of 2" in page


def test_an_outsider_sees_no_figures(client, harbor, nps, send, clock, outsider):
    from retainops.voice import services

    services.answer_survey(token=first_token(send(nps, harbor)), raw={"score": "3"})
    client.force_login(outsider)
    page = client.get("/voice/").content.decode()
    assert "0 of 0" in page
    assert "Harbor Dental" not in page
