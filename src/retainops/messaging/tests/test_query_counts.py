"""The outbox and its API list answer in a number of queries fixed by the page, not by how
many messages they show: each is counted at two sizes."""

import pytest
from django.test import Client as HttpClient

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.core.testing import queries_of_page
from retainops.messaging.models import Message
from retainops.messaging.services import Outgoing, queue_message

pytestmark = pytest.mark.django_db


def _grow(harbor: Client, by: User, start: int, count: int) -> None:
    """`count` more messages to the client's contacts and account manager, one in two failed."""
    for n in range(start, start + count):
        outgoing = Outgoing(
            subject=f"Report {n:03d}",
            body_text=f"Report number {n}.",
            to=["contacts", "role:account_manager", f"reader{n}@client.example"],
        )
        message = queue_message(outgoing=outgoing, client=harbor, cause="report", by=by)
        if n % 2:
            Message.objects.filter(pk=message.pk).update(
                state="failed", attempts=8, last_error="SMTP 550: mailbox unavailable"
            )


_queries = queries_of_page


@pytest.mark.parametrize(
    "url",
    ["/messages/", "/messages/?state=failed", "/api/v1/messages", "/api/v1/messages?state=failed"],
)
def test_a_page_costs_the_same_queries_for_two_messages_as_for_twelve(
    client: HttpClient, administrator: User, account_manager: User, harbor: Client, url: str
) -> None:
    client.force_login(administrator)
    _grow(harbor, account_manager, 0, 2)
    _queries(client, url)  # the first answer warms caches (sessions, content types)
    small = _queries(client, url)
    _grow(harbor, account_manager, 2, 10)
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries for 2 messages, {large} for 12"
