"""The API: sending, answering through the link without an account (once, in range),
figures, observations and feedback meetings; another unit's client is not found."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from retainops.voice.models import Observation, SurveyAnswer
from retainops.voice.tests.conftest import first_token

pytestmark = pytest.mark.django_db


def test_send_and_answer_through_the_api(api_as, account_manager, harbor, nps, clock):
    sent = api_as(account_manager).post("/surveys", {"client": harbor.pk, "definition": "nps"})
    assert sent.status_code == 201, sent.content
    assert sent.json()["invited"] == 2
    from retainops.voice.models import Survey

    token = first_token(Survey.objects.get())
    anonymous = api_as(None)
    assert anonymous.get(f"/surveys/answer/{token}").json()["questions"][0]["kind"] == "nps"
    out_of_range = anonymous.post(f"/surveys/answer/{token}", {"answers": {"score": 12}})
    assert out_of_range.status_code == 422
    assert "score" in out_of_range.json()["errors"]
    assert anonymous.post(f"/surveys/answer/{token}", {"answers": {"score": 9}}).status_code == 201
    again = anonymous.post(f"/surveys/answer/{token}", {"answers": {"score": 0}})
    assert again.status_code == 410
    assert anonymous.get(f"/surveys/answer/{token}x").status_code == 404
    assert SurveyAnswer.objects.get().nps == 9
    figures = api_as(account_manager).get("/voice/figures").json()
    assert figures == [
        {
            "client": harbor.pk,
            "nps": 100.0,
            "nps_answers": 1,
            "promoters": 1,
            "passives": 0,
            "detractors": 0,
            "csat": None,
            "csat_answers": 0,
            "response_rate": 0.5,
            "detractor_signals_90d": 0,
        }
    ]


def test_another_units_client_is_not_found(api_as, south_account_manager, harbor, nps):
    caller = api_as(south_account_manager)
    assert caller.post("/surveys", {"client": harbor.pk, "definition": "nps"}).status_code == 404
    body = {"client": harbor.pk, "category": "service", "sentiment": "neutral", "text": "Hi"}
    assert caller.post("/observations", body).status_code == 404
    assert caller.get("/voice/figures").json() == []


def test_observations_through_the_api(api_as, service_agent, harbor):
    body = {"client": harbor.pk, "category": "results", "sentiment": "wrong", "text": "Meh"}
    refused = api_as(service_agent).post("/observations", body)
    assert refused.status_code == 422 and "sentiment" in refused.json()["errors"]
    body["sentiment"] = "negative"
    assert api_as(service_agent).post("/observations", body).status_code == 201
    assert Observation.objects.get().text == "Meh"


def test_feedback_meetings_through_the_api(api_as, account_manager, harbor, clock):
    caller = api_as(account_manager)
    made = caller.post(
        "/feedback-meetings",
        {
            "client": harbor.pk,
            "title": "Harbor feedback",
            "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "attendees": ["dana@harbor.example"],
        },
    )
    assert made.status_code == 201, made.content
    session_id = made.json()["sessions"][0]["id"]
    agenda = caller.get(f"/feedback-meetings/sessions/{session_id}").json()["agenda"]
    assert agenda[0]["key"] == "performance"
    bad = caller.post(
        f"/feedback-meetings/sessions/{session_id}/hold",
        {"minutes": "ok", "actions": [{"title": "x", "owner": "nobody", "due_date": "2026-12-01"}]},
    )
    assert bad.status_code == 422 and "actions[0].owner" in bad.json()["errors"]
    held = caller.post(
        f"/feedback-meetings/sessions/{session_id}/hold",
        {
            "minutes": "Agreed",
            "actions": [
                {
                    "title": "Audit",
                    "owner": account_manager.username,
                    "due_date": str(date(2026, 12, 1)),
                }
            ],
        },
    )
    assert held.status_code == 200 and held.json()["state"] == "held"
    actions = caller.get("/feedback-meetings/actions").json()
    assert [a["title"] for a in actions] == ["Audit"]
    done = caller.post(f"/feedback-meetings/actions/{actions[0]['id']}/done", {})
    assert done.json()["state"] == "done"
