"""Service-team observations: recorded by whoever speaks to clients, shown on the
client's page, and grouped with complaints into the themes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from retainops.complaints.corpus import generate
from retainops.complaints.models import Complaint, ComplaintCategory
from retainops.complaints.services import raise_complaint
from retainops.complaints.themes import refresh_themes
from retainops.playbooks.queries import client_timeline
from retainops.voice import services
from retainops.voice.links import token_for
from retainops.voice.models import Observation

pytestmark = pytest.mark.django_db


def test_the_service_team_records_an_observation(harbor, service_agent):
    observation = services.record_observation(
        by=service_agent,
        client=harbor,
        category="service",
        sentiment="negative",
        text="Caller said nobody returns their calls",
    )
    assert observation.recorded_by == service_agent


def test_an_outsider_cannot_record_one(harbor, outsider):
    with pytest.raises(PermissionDenied):
        services.record_observation(
            by=outsider, client=harbor, category="service", sentiment="neutral", text="x"
        )
    assert not Observation.objects.exists()


def test_a_bad_observation_names_its_fields(harbor, service_agent):
    with pytest.raises(ValidationError) as refused:
        services.record_observation(
            by=service_agent, client=harbor, category="gossip", sentiment="angry", text=""
        )
    assert set(refused.value.message_dict) == {"category", "sentiment", "text"}
    assert not Observation.objects.exists()


def test_the_client_page_shows_observations_and_answers(client, harbor, account_manager, nps, send):
    services.record_observation(
        by=account_manager,
        client=harbor,
        category="praise",
        sentiment="positive",
        text="Loves the new campaign",
    )
    survey = send(nps, harbor)
    services.answer_survey(
        token=token_for(survey.invitations.first()), raw={"score": "10", "why": "Great team"}
    )
    client.force_login(account_manager)
    page = client.get(f"/clients/{harbor.pk}/").content.decode()
    assert "Loves the new campaign" in page
    assert "NPS 10" in page and "Great team" in page
    assert "(1 answer)" in page


def test_survey_comments_and_observations_join_the_themes(harbor, account_manager, nps, send):
    category = ComplaintCategory.objects.first()
    for sample in generate(per_group=4, seed=3)[:12]:
        raise_complaint(
            by=account_manager,
            client=harbor,
            channel="email",
            severity="low",
            category=category,
            summary=sample.summary,
            description=sample.description,
        )
    observation = services.record_observation(
        by=account_manager,
        client=harbor,
        category="billing",
        sentiment="negative",
        text="Caller says the invoice charged us twice, we want a refund",
    )
    refresh_themes(now=timezone.now())
    observation.refresh_from_db()
    assert observation.theme_id is not None
    # It joined the billing complaints' theme, not another.
    themed = Complaint.objects.filter(theme_id=observation.theme_id)
    words = ("invoice", "bill", "charge")
    assert themed.exists()
    assert all(any(w in c.description.lower() for w in words) for c in themed)


def test_an_observation_shows_on_the_clients_timeline(harbor, service_agent, client):
    services.record_observation(
        by=service_agent,
        client=harbor,
        category="billing",
        sentiment="negative",
        text="Caller was invoiced twice",
    )
    [entry] = [e for e in client_timeline(harbor) if e["kind"] == "observation"]
    assert entry["summary"] == "Billing, negative: Caller was invoiced twice"
    assert (entry["label"], entry["who"]) == ("Service-team observation", str(service_agent))
    client.force_login(service_agent)
    page = client.get(f"/clients/{harbor.pk}/timeline/").content.decode()
    assert "Billing, negative: Caller was invoiced twice" in page
