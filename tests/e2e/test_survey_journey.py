"""A survey answered on a phone: the account manager's survey reaches the contact's
mailbox (the local SMTP server), the contact opens the link on a 390-pixel screen,
answers, and a second visit is refused."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Browser, expect

from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.messaging.testing import SmtpPeer
from retainops.voice import services
from retainops.voice.models import SurveyAnswer, SurveyDefinition
from tests.e2e.conftest import tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mailbox(settings):
    peer = SmtpPeer().start()
    for name, value in peer.email_settings().items():
        setattr(settings, name, value)
    yield peer
    peer.stop()


def test_a_contact_answers_a_survey_from_the_email_on_a_phone(
    browser: Browser, live_server, mailbox, settings
):
    # The standard surveys, as the voice migration writes them (flushed between tests).
    module = importlib.import_module("retainops.voice.migrations.0002_standard_surveys")
    module.write_reference_data(django_apps, None)
    settings.SITE_URL = live_server.url
    north = BusinessUnitFactory.create(code="north", name="North Media")
    amy = UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, user=amy, role=Role.objects.get(code="account_manager")
    )
    ContactFactory.create(client=client, name="Dana Diaz", email="dana@harbor.example")
    services.send_survey(by=amy, definition=SurveyDefinition.objects.get(code="nps"), client=client)
    tick()

    (mail,) = mailbox.received
    link = re.search(r"https?://\S+/survey/\S+/", mail.part("text/plain")).group(0)

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="How likely are you to recommend us?")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.get_by_role("button", name="Send my answer").click()  # nothing chosen
    expect(page.get_by_text("Please answer this question.")).to_be_visible()
    page.get_by_label("9", exact=True).check()
    page.get_by_label("Why?").fill("Quick answers, clear reports")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    page.goto(link)
    expect(page.locator("#refused")).to_have_text(
        "This survey has already been answered. Thank you!"
    )
    context.close()
    answer = SurveyAnswer.objects.get()
    assert (answer.nps, answer.comment) == (9, "Quick answers, clear reports")
