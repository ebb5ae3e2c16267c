"""The survey of the program after a drop: the shipped follow-up playbook sends the CSAT
survey two weeks after the drop, about that drop, and the survey reads beside the drop's
figures on the Voice page and in the API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from retainops.clients.testing import ContactFactory
from retainops.core.testing import UserFactory
from retainops.drops import services
from retainops.drops.survey_figures import describe_drops
from retainops.drops.tests.conftest import DROP_AT
from retainops.messaging.models import Message
from retainops.playbooks.library import LIBRARY, load_source
from retainops.playbooks.timers import fire_all_due
from retainops.voice.models import Survey, SurveyDefinition
from retainops.voice.services import dispatch_survey


@pytest.fixture
def follow_up(north):
    ops = UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])
    version, published = load_source(by=ops, source=(LIBRARY / "drop-follow-up.yaml").read_text())
    assert published
    return version


@pytest.fixture
def contact(harbor):
    return ContactFactory.create(client=harbor, name="Dana Diaz", email="dana@harbor.example")


def _measured(drop, by):
    services.import_actuals(
        drop=drop,
        by=by,
        text="interval_start,answer_channel,contacts\n"
        f"{DROP_AT.isoformat()},phone,600\n"
        f"{(DROP_AT + timedelta(minutes=30)).isoformat()},phone,400\n",
    )
    services.record_outcome(
        drop=drop,
        by=by,
        outcome=services.Outcome(conversions=80, sales=Decimal("12500.00"), customers_acquired=64),
    )


def test_the_survey_goes_out_two_weeks_after_the_drop_about_it(follow_up, plan, contact, clock):
    drop = plan()
    clock.move_to(drop.drop_at + timedelta(days=14, minutes=-1))
    fire_all_due(now=timezone.now())
    assert not Survey.objects.exists()
    clock.move_to(drop.drop_at + timedelta(days=14, minutes=1))
    fire_all_due(now=timezone.now())
    [survey] = Survey.objects.all()
    assert survey.version.definition.code == "csat"
    assert (survey.about_type, survey.about_id) == ("drop", drop.pk)
    assert Message.objects.filter(recipients__address=contact.email).count() == 1


def test_the_drop_figures_describe_the_survey_in_a_fixed_number_of_queries(
    plan, account_manager, django_assert_max_num_queries
):
    one, two = plan(name="Winter mailer"), plan(name="Spring mailer", audience_size=20_000)
    _measured(one, account_manager)
    with django_assert_max_num_queries(3):
        described = describe_drops([one.pk, two.pk])
    figures = {f.name: f.value for f in described[one.pk].figures}
    assert described[one.pk].label == f"Winter mailer (Mail drop, {DROP_AT.date().isoformat()})"
    assert figures["Contacts"].startswith("1,000 (forecast ")
    assert figures["Response rate"] == "2.0% (expected 2.0%)"
    assert figures["Conversions"] == "80"
    assert figures["Sales"] == "12,500.00"
    assert figures["Customers acquired"] == "64"
    assert "Forecast error (MAPE)" in figures
    # Nothing measured yet: contacts only, no rate or results to show.
    assert [f.name for f in described[two.pk].figures] == ["Contacts"]


def test_voice_page_and_api_show_what_a_survey_was_about(
    client, plan, account_manager, contact, harbor
):
    drop = plan()
    _measured(drop, account_manager)
    csat = SurveyDefinition.objects.get(code="csat")
    dispatch_survey(definition=csat, client=harbor, cause="playbook step", about=("drop", drop.pk))
    dispatch_survey(definition=csat, client=harbor)  # by hand: about nothing
    client.force_login(account_manager)

    page = client.get("/voice/").content.decode()
    assert "Winter mailer (Mail drop" in page
    assert "Conversions: 80" in page

    rows = client.get("/api/v1/surveys").json()
    about = [row["about"] for row in rows]
    assert about.count(None) == 1
    [described] = [a for a in about if a]
    assert (described["type"], described["id"]) == ("drop", drop.pk)
    assert {"name": "Customers acquired", "value": "64"} in described["figures"]
    assert all((row["invited"], row["answered"]) == (1, 0) for row in rows)
