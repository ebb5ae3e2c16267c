"""Surveys: sent to the client's contacts through the outbox, answered once through a
signed, expiring link; out-of-range answers refused; versions pinned."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retainops.messaging.models import Message
from retainops.voice import links, services
from retainops.voice.models import SurveyAnswer, SurveyInvitation
from retainops.voice.tests.conftest import first_token

pytestmark = pytest.mark.django_db


def test_a_survey_invites_each_contact_once_through_the_outbox(harbor, nps, send, clock):
    survey = send(nps, harbor, service_line="SEO")
    invitations = list(survey.invitations.order_by("email"))
    assert [i.email for i in invitations] == ["dana@harbor.example", "jane@harbor.example"]
    messages = Message.objects.filter(cause__startswith="survey invitation")
    assert messages.count() == 2
    body = messages.get(recipients__address="dana@harbor.example").body_text
    assert links.url_for(invitations[0]) in body
    assert invitations[0].expires_at - invitations[0].sent_at == timedelta(days=14)


def test_an_answer_is_recorded_against_the_version_sent(harbor, nps, send, clock, administrator):
    survey = send(nps, harbor)
    services.save_definition(
        by=administrator,
        code="nps",
        name=nps.name,
        kind="nps",
        questions=[
            {"key": "score", "kind": "nps", "label": "Would you recommend us?"},
            {"key": "area", "kind": "choice", "label": "Best part?", "choices": ["SEO", "Ads"]},
        ],
    )
    assert nps.current_version().number == 2
    answer = services.answer_survey(token=first_token(survey), raw={"score": "9", "why": "Great"})
    assert (answer.version.number, answer.nps, answer.comment) == (1, 9, "Great")


def test_a_link_used_twice_is_refused_and_changes_nothing(harbor, nps, send, clock):
    token = first_token(send(nps, harbor))
    services.answer_survey(token=token, raw={"score": "10"})
    with pytest.raises(links.LinkRefused) as refused:
        services.answer_survey(token=token, raw={"score": "0", "why": "changed my mind"})
    assert refused.value.reason == "used"
    assert list(SurveyAnswer.objects.values_list("nps", flat=True)) == [10]


def test_an_expired_link_is_refused(harbor, nps, send, clock):
    token = first_token(send(nps, harbor))
    clock.shift(timedelta(days=14, seconds=1))
    with pytest.raises(links.LinkRefused) as refused:
        services.answer_survey(token=token, raw={"score": "8"})
    assert refused.value.reason == "expired"
    assert not SurveyAnswer.objects.exists()


@pytest.mark.parametrize(
    "alter",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: t.replace(t.split(":")[0], t.split(":")[0][::-1]),
        lambda t: "nonsense",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_an_altered_link_is_refused(harbor, nps, send, clock, alter):
    token = first_token(send(nps, harbor))
    with pytest.raises(links.LinkRefused) as refused:
        services.answer_survey(token=alter(token), raw={"score": "8"})
    assert refused.value.reason == "altered"
    assert not SurveyAnswer.objects.exists()


def test_a_link_forged_for_another_invitation_is_refused(harbor, nps, send, clock):
    survey = send(nps, harbor)
    first, second = survey.invitations.order_by("id")
    from django.core import signing

    forged = signing.dumps({"i": second.pk, "n": first.nonce}, salt=links.SALT, compress=True)
    # Signed with our key (the attacker cannot do that), yet the nonce is not the row's.
    with pytest.raises(links.LinkRefused):
        links.resolve(forged)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"score": "11"}, "score"),
        ({"score": "-1"}, "score"),
        ({"score": "ten"}, "score"),
        ({}, "score"),
    ],
)
def test_answers_out_of_range_are_refused_naming_the_question(harbor, nps, send, clock, raw, field):
    token = first_token(send(nps, harbor))
    with pytest.raises(ValidationError) as refused:
        services.answer_survey(token=token, raw=raw)
    assert field in refused.value.message_dict
    assert not SurveyAnswer.objects.exists()
    assert SurveyInvitation.objects.filter(answered_at__isnull=False).count() == 0
    services.answer_survey(token=token, raw={"score": "7"})  # the link still works


def test_csat_outside_one_to_five_is_refused(harbor, csat, send, clock):
    token = first_token(send(csat, harbor))
    with pytest.raises(ValidationError):
        services.answer_survey(token=token, raw={"score": "0"})
    assert services.answer_survey(token=token, raw={"score": "5"}).csat == 5


def test_an_outsider_cannot_send_a_survey(harbor, nps, outsider, service_agent):
    for person in (outsider, service_agent):
        with pytest.raises(PermissionDenied):
            services.send_survey(by=person, definition=nps, client=harbor)
    assert not SurveyInvitation.objects.exists()


def test_a_definition_with_a_bad_question_is_refused(administrator):
    with pytest.raises(ValidationError) as refused:
        services.save_definition(
            by=administrator,
            code="pulse",
            name="Pulse",
            kind="custom",
            questions=[{"key": "q1", "kind": "scale", "label": "How?", "min": 5, "max": 1}],
        )
    assert "questions[0].max" in refused.value.message_dict
