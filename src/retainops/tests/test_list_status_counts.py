"""The status counts above the client and complaint lists: links that filter, counting only
what the person sees under the other filters."""

import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.clients.testing import ClientFactory
from retainops.complaints import services as complaints
from retainops.complaints.models import ComplaintCategory
from retainops.core.models import User


def counts_nav(page: str) -> str:
    found = re.search(r'<nav id="status-counts"[^>]*>(.*?)</nav>', page, re.S)
    assert found, "no status counts"
    return found.group(1)


def link_for(page: str, label: str) -> tuple[str, str, bool]:
    """(href, count, is current) of the status link with this label."""
    for attrs, text, count in re.findall(
        r"<a ([^>]*)>([^<]*)<strong>(\d+)</strong></a>", counts_nav(page)
    ):
        if text.strip() == label:
            href = re.search(r'href="([^"]*)"', attrs)
            assert href
            return href.group(1).replace("&amp;", "&"), count, "aria-current" in attrs
    raise AssertionError(f"no {label} link")


def as_(user: User) -> HttpClient:
    web = HttpClient()
    web.force_login(user)
    return web


@pytest.fixture
def clients(north, south):
    ClientFactory.create(name="Harbor Dental", business_unit=north, status="active")
    ClientFactory.create(name="Harbor Florist", business_unit=north, status="paused")
    ClientFactory.create(name="Cedar Auto", business_unit=north, status="active")
    ClientFactory.create(name="Harbor South", business_unit=south, status="active")


def test_client_counts_respect_the_unit_and_the_other_filters(account_manager, clients):
    page = as_(account_manager).get(reverse("clients:list"), {"q": "harbor"}).content.decode()

    # Harbor South is another unit's; Cedar Auto is filtered out by the search.
    assert link_for(page, "Active")[1] == "1"
    assert link_for(page, "Paused")[1] == "1"
    assert link_for(page, "All")[1] == "2"


def test_a_client_count_links_to_the_status_keeping_the_search(account_manager, clients):
    web = as_(account_manager)
    page = web.get(reverse("clients:list"), {"q": "harbor", "page": "1"}).content.decode()
    href, _count, current = link_for(page, "Paused")
    assert href == "?q=harbor&status=paused" and not current
    assert link_for(page, "All")[2]

    paused = web.get(reverse("clients:list") + href).content.decode()
    assert "Harbor Florist" in paused and "Harbor Dental" not in paused
    assert link_for(paused, "Paused")[2] and not link_for(paused, "All")[2]
    # The other counts still say what choosing them would give.
    assert link_for(paused, "Active")[1] == "1"


def test_the_htmx_update_swaps_the_counts_too(account_manager, clients):
    answer = as_(account_manager).get(
        reverse("clients:list"), {"q": "cedar"}, headers={"HX-Request": "true"}
    )
    page = answer.content.decode()
    assert 'hx-swap-oob="true"' in page
    assert link_for(page, "Paused")[1] == "0" and link_for(page, "Active")[1] == "1"


def test_complaint_counts_filter_by_status(account_manager, harbor_complaints):
    web = as_(account_manager)
    page = web.get(reverse("complaints:list")).content.decode()
    assert link_for(page, "New")[1] == "1"
    assert link_for(page, "Acknowledged")[1] == "1"

    href, _count, _current = link_for(page, "Acknowledged")
    listed = web.get(reverse("complaints:list") + href).content.decode()
    assert "Invoice wrong" in listed and "Report late" not in listed

    high = web.get(reverse("complaints:list"), {"severity": "low"}).content.decode()
    assert link_for(high, "New")[1] == "0" and link_for(high, "Acknowledged")[1] == "1"


@pytest.fixture
def harbor_complaints(north, account_manager):
    harbor = ClientFactory.create(name="Harbor Dental", business_unit=north)
    category = ComplaintCategory.objects.get(code="reporting")
    values = {"by": account_manager, "client": harbor, "channel": "phone", "category": category}
    complaints.raise_complaint(
        severity="high", summary="Report late", description="Two weeks late.", **values
    )
    second = complaints.raise_complaint(
        severity="low", summary="Invoice wrong", description="Wrong total.", **values
    )
    complaints.acknowledge_complaint(complaint=second, by=account_manager)
