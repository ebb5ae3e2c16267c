"""A client raises a complaint itself, through its portal link: it reaches the account
manager with its clocks running, a bad link gets the portal's plain "not found", and a
form with a missing field is answered with the field named and nothing written."""

from datetime import date

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.clients.models import Client
from retainops.complaints.models import Complaint, ComplaintCategory
from retainops.core.models import User
from retainops.onboarding import portal
from retainops.onboarding.models import PortalLink, Program


@pytest.fixture
def link(harbor: Client) -> PortalLink:
    program = Program.objects.create(
        client=harbor,
        name="Spring campaign",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 5, 31),
    )
    return PortalLink.objects.create(program=program)


def _address(link: PortalLink) -> str:
    return reverse("complaints:portal_raise", args=[portal.token_for(link)])


def _form(**overrides: str) -> dict[str, str]:
    return {
        "contact_name": "Hal Harbor",
        "summary": "Calls from the ads go unanswered",
        "description": "Three patients told us nobody picked up the tracked number on Monday.",
        "category": str(ComplaintCategory.objects.get(code="reporting").pk),
        "severity": "high",
        **overrides,
    }


def test_the_portal_offers_it_and_what_the_client_sends_reaches_its_account_manager(
    link: PortalLink, account_manager: User, clock
):
    home = HttpClient().get(reverse("portal:home", args=[portal.token_for(link)]))
    assert _address(link) in home.content.decode()

    response = HttpClient().post(_address(link), _form())

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.owner, complaint.raised_by) == (
        "portal",
        account_manager,
        None,
    )
    assert complaint.client == link.program.client
    assert complaint.timers.filter(fired_at__isnull=True).exists()
    assert "by Hal Harbor" in complaint.activity.get().what


def test_a_form_without_a_name_is_answered_with_the_field_named_and_nothing_written(
    link: PortalLink,
):
    response = HttpClient().post(_address(link), _form(contact_name=""))

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert Complaint.objects.count() == 0


def test_an_altered_link_raises_nothing_and_says_only_not_found(link: PortalLink):
    forged = portal.token_for(link)[:-3] + "abc"

    response = HttpClient().post(reverse("complaints:portal_raise", args=[forged]), _form())

    assert response.status_code == 404
    assert "Harbor" not in response.content.decode()
    assert Complaint.objects.count() == 0
