"""The complaint pages: the list with the clocks, the raise form, the detail page's
actions, the client page's panel, the navigation badge; and who is refused."""

import pytest
from django.test import Client as HttpClient

from retainops.complaints.models import Complaint, ComplaintCategory, RootCause

pytestmark = pytest.mark.django_db


def browser(user) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_an_account_manager_logs_a_complaint_from_the_form(account_manager, harbor):
    web = browser(account_manager)
    form = web.get(f"/clients/{harbor.pk}/complaints/new/")
    assert form.status_code == 200

    answer = web.post(
        f"/clients/{harbor.pk}/complaints/new/",
        {
            "summary": "Calls not returned",
            "description": "Nobody called back for a week.",
            "channel": "phone",
            "severity": "high",
            "category": ComplaintCategory.objects.get(code="service").pk,
        },
    )

    complaint = Complaint.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/complaints/{complaint.pk}/"
    page = web.get(answer["Location"]).content.decode()
    assert "Calls not returned" in page
    assert 'data-clock="running"' in page


def test_an_invalid_complaint_comes_back_on_its_form(account_manager, harbor):
    answer = browser(account_manager).post(
        f"/clients/{harbor.pk}/complaints/new/", {"summary": "", "channel": "phone"}
    )

    assert answer.status_code == 400
    assert not Complaint.objects.exists()


def test_the_list_shows_each_clock_searches_and_has_an_empty_state(account_manager, raise_one):
    web = browser(account_manager)
    assert "No complaint yet" in web.get("/complaints/").content.decode()

    raise_one(summary="Report late")
    raise_one(summary="Invoice wrong")
    page = web.get("/complaints/").content.decode()
    assert page.count('data-clock="running"') == 2

    found = web.get("/complaints/", {"q": "invoice"}).content.decode()
    assert "Invoice wrong" in found and "Report late" not in found
    assert "No complaint matches" in web.get("/complaints/", {"q": "zebra"}).content.decode()


def test_the_detail_page_moves_a_complaint_to_resolved(account_manager, raise_one):
    complaint = raise_one()
    web = browser(account_manager)

    for step in ("acknowledge", "start", "wait"):
        assert web.post(f"/complaints/{complaint.pk}/move/{step}").status_code == 302
    page = web.get(f"/complaints/{complaint.pk}/").content.decode()
    assert 'data-clock="paused"' in page

    refused = web.post(f"/complaints/{complaint.pk}/resolve", {"resolution": "Fixed."})
    assert refused.status_code == 400
    answer = web.post(
        f"/complaints/{complaint.pk}/resolve",
        {"root_cause": RootCause.objects.get(code="process-gap").pk, "resolution": "Fixed."},
    )
    assert answer.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "resolved"


def test_the_client_page_and_the_navigation_show_my_complaints(account_manager, raise_one, harbor):
    raise_one(summary="Report late")
    page = browser(account_manager).get(f"/clients/{harbor.pk}/").content.decode()

    assert "Report late" in page
    assert 'id="nav-complaints"' in page


def test_other_units_and_the_wrong_roles_are_refused(
    account_manager, south_account_manager, raise_one, harbor, north
):
    from retainops.core.testing import UserFactory

    complaint = raise_one()
    assert browser(south_account_manager).get(f"/complaints/{complaint.pk}/").status_code == 404
    assert (
        browser(south_account_manager)
        .post(f"/complaints/{complaint.pk}/move/acknowledge")
        .status_code
        == 404
    )
    creative = UserFactory.create(username="cara", roles=["creative_director"], units=[north])
    assert browser(creative).get(f"/clients/{harbor.pk}/complaints/new/").status_code == 403
    assert browser(creative).post(f"/complaints/{complaint.pk}/move/acknowledge").status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == "new"
