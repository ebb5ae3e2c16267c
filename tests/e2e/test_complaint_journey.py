"""A complaint in a real browser: the account manager logs it from the client page,
acknowledges it, waits on the client (the clock pauses), hears back (it runs again) and
resolves it with its root cause."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page, expect

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.complaints.models import Complaint
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def harbor(reference_data: None) -> Client:
    """Amy, account manager in North, and her client Harbor Dental (with the complaint
    categories, root causes and service levels the complaints migration writes)."""
    module = importlib.import_module("retainops.complaints.migrations.0002_reference_data")
    module.write_reference_data(django_apps, None)
    north = BusinessUnitFactory.create(code="north", name="North Media")
    amy = UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ContactFactory.create(client=client, name="Hal Harbor")
    ClientTeamMember.objects.create(
        client=client, user=amy, role=Role.objects.get(code="account_manager")
    )
    return client


def test_log_a_complaint_wait_on_the_client_and_resolve_it(page: Page, live_server, harbor):
    sign_in(page, live_server.url, "amy_am", "pass-word-1")
    page.goto(f"{live_server.url}/clients/{harbor.pk}/")
    page.get_by_role("link", name="Log a complaint").click()

    page.get_by_label("Summary").fill("Monthly report late again")
    page.get_by_label("Description").fill("The report came two weeks late with no commentary.")
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Severity").select_option("high")
    page.get_by_label("Category").select_option(label="Reporting and communication")
    page.get_by_label("Contact").select_option(index=1)
    page.get_by_role("button", name="Save").click()

    expect(
        page.get_by_role("heading", name=re.compile("Monthly report late again"))
    ).to_be_visible()
    expect(page.locator("#complaint-status")).to_have_text("New")
    expect(page.locator("#clock-response [data-clock]")).to_have_text("Running")

    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#complaint-status")).to_have_text("Acknowledged")
    page.get_by_role("button", name="Start work").click()
    page.get_by_role("button", name="Wait on the client").click()
    expect(page.locator("#complaint-status")).to_have_text("Waiting on the client")
    expect(page.locator("#clock-resolution [data-clock]")).to_have_text("Paused")

    page.get_by_role("button", name="The client answered").click()
    expect(page.locator("#clock-resolution [data-clock]")).to_have_text("Running")

    page.get_by_role("button", name="Resolve", exact=True).click()  # no root cause yet
    expect(page.locator("#complaint-status")).to_have_text("In progress")
    page.get_by_label("Root cause").select_option(label="A missed hand-off between teams")
    page.get_by_label("Resolution").fill("Report resent with commentary.")
    page.get_by_role("button", name="Resolve", exact=True).click()

    expect(page.locator("#complaint-status")).to_have_text("Resolved")
    expect(page.locator("#root-cause")).to_have_text("A missed hand-off between teams")
    expect(page.locator("#clock-resolution [data-clock]")).to_have_text("Met")
    complaint = Complaint.objects.get()
    assert (complaint.status, complaint.root_cause.code) == ("resolved", "missed-handoff")
