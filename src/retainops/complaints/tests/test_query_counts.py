"""The complaint list, the themes and the complaints' API list answer in a number of
queries fixed by the page, not by how many complaints they show: each is counted at two
sizes."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from retainops.clients.models import Contact
from retainops.complaints import services
from retainops.complaints.models import Complaint
from retainops.core.models import User
from retainops.core.testing import queries_of_page

pytestmark = pytest.mark.django_db


def _grow(raise_one: Callable[..., Complaint], by: User, contact: Contact, start: int, count: int):
    """`count` more complaints: one in two from a contact and waiting on the client (a paused
    clock), the others acknowledged and being worked on."""
    for n in range(start, start + count):
        if n % 2:
            complaint = raise_one(summary=f"Report late {n:03d}", contact=contact)
            services.acknowledge_complaint(complaint=complaint, by=by)
            services.start_work(complaint=complaint, by=by)
            services.wait_on_client(complaint=complaint, by=by)
        else:
            complaint = raise_one(summary=f"Invoice wrong {n:03d}")
            services.acknowledge_complaint(complaint=complaint, by=by)
            services.start_work(complaint=complaint, by=by)


_queries = queries_of_page


@pytest.mark.parametrize(
    "url", ["/complaints/", "/complaints/?q=report", "/complaints/themes/", "/api/v1/complaints"]
)
def test_a_page_costs_the_same_queries_for_two_complaints_as_for_twelve(
    clock: Any,
    client: HttpClient,
    account_manager: User,
    raise_one: Callable[..., Complaint],
    harbor_contact: Contact,
    url: str,
) -> None:
    client.force_login(account_manager)
    _grow(raise_one, account_manager, harbor_contact, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(raise_one, account_manager, harbor_contact, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 complaints, {large} for 12"
