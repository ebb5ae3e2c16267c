"""The contact-plan pages: the client's plan, clients without a touchpoint, the workload."""

import pytest
from django.test import Client as Browser

from retainops.cadence.models import Occurrence, PlanItem, Touchpoint

pytestmark = pytest.mark.django_db


def signed_in(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


ITEM = {
    "kind": "",
    "rrule": "FREQ=WEEKLY;BYDAY=TU",
    "starts_on": "2026-11-24",
    "at": "10:00",
    "owner_role": "account_manager",
}


def test_the_client_page_shows_the_plan_panel(clock, harbor, account_manager):
    page = signed_in(account_manager).get(f"/clients/{harbor.pk}/")
    assert page.status_code == 200
    assert "Contact plan" in page.text and "No contact plan for this client yet." in page.text


def test_an_account_manager_adds_an_item_and_logs_a_touchpoint(
    clock, harbor, account_manager, call
):
    browser = signed_in(account_manager)
    added = browser.post(f"/clients/{harbor.pk}/cadence/items", {**ITEM, "kind": call.pk})
    assert added.status_code == 302
    assert PlanItem.objects.get().kind == call
    logged = browser.post(
        f"/clients/{harbor.pk}/cadence/touchpoints", {"channel": "call", "summary": "Check-in"}
    )
    assert logged.status_code == 302 and Touchpoint.objects.count() == 1
    page = browser.get(f"/clients/{harbor.pk}/cadence/")
    assert "Check-in" in page.text and 'badge-green">Done' in page.text


def test_a_bad_rule_comes_back_on_the_form(clock, harbor, account_manager, call):
    page = signed_in(account_manager).post(
        f"/clients/{harbor.pk}/cadence/items", {**ITEM, "kind": call.pk, "rrule": "FREQ=SOON"}
    )
    assert page.status_code == 400 and "Not a valid RFC 5545 rule" in page.text
    assert not PlanItem.objects.exists()


def test_settling_an_occurrence_from_the_page(clock, harbor, account_manager, call):
    browser = signed_in(account_manager)
    browser.post(f"/clients/{harbor.pk}/cadence/items", {**ITEM, "kind": call.pk})
    occurrence = Occurrence.objects.order_by("due_at")[0]
    browser.post(f"/cadence/occurrences/{occurrence.pk}/skip", {"reason": "Client away"})
    occurrence.refresh_from_db()
    assert occurrence.state == "skipped" and occurrence.skip_reason == "Client away"


def test_a_service_agent_sees_the_plan_but_may_not_change_it(clock, harbor, service_agent, call):
    browser = signed_in(service_agent)
    page = browser.get(f"/clients/{harbor.pk}/cadence/")
    assert page.status_code == 200 and "Add to the plan" not in page.text
    refused = browser.post(f"/clients/{harbor.pk}/cadence/items", {**ITEM, "kind": call.pk})
    assert refused.status_code == 403


def test_another_units_client_is_not_found(clock, harbor, south_account_manager):
    assert signed_in(south_account_manager).get(f"/clients/{harbor.pk}/cadence/").status_code == 404


def test_untouched_and_workload_pages(clock, harbor, account_manager, lead, colleague, call):
    signed_in(account_manager).post(
        f"/clients/{harbor.pk}/cadence/items", {**ITEM, "kind": call.pk}
    )
    browser = signed_in(lead)
    assert "Harbor Dental" in browser.get("/cadence/untouched/?days=30").text
    page = browser.get("/cadence/workload/")
    assert page.status_code == 200 and "Workload ahead" in page.text
    day = browser.get(f"/cadence/workload/?person={account_manager.pk}&day=2026-11-24")
    assert "Reassign" in day.text
    occurrence = Occurrence.objects.order_by("due_at")[0]
    browser.post(
        "/cadence/workload/reassign",
        {"kind": "occurrence", "id": occurrence.pk, "to": colleague.pk},
    )
    occurrence.refresh_from_db()
    assert occurrence.assignee == colleague


def test_an_empty_workload_says_so(db, outsider):
    page = signed_in(outsider).get("/cadence/workload/")
    assert "Nobody in your units." in page.text
