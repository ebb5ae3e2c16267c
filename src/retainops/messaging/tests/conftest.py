"""Fixtures for messaging tests: real SMTP and HTTP peers, a client with a team."""

import base64
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
import time_machine
from pytest_django import Settings

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.messaging.models import Message, WebhookEndpoint
from retainops.messaging.services import Outgoing, queue_message
from retainops.messaging.testing import HttpPeer, SmtpPeer

# A fixed instant for tests that move the clock: a Tuesday morning.
START = datetime.fromisoformat("2026-11-24T09:00:00+00:00")


@pytest.fixture
def smtp_server() -> Iterator[SmtpPeer]:
    """A real SMTP server on a free port (not yet wired into settings)."""
    peer = SmtpPeer().start()
    yield peer
    peer.stop()


@pytest.fixture
def smtp(smtp_server: SmtpPeer, settings: Settings) -> SmtpPeer:
    """The real SMTP server, with Django's SMTP backend pointed at it."""
    for name, value in smtp_server.email_settings().items():
        setattr(settings, name, value)
    return smtp_server


@pytest.fixture
def receiver() -> Iterator[HttpPeer]:
    """A real HTTP receiver for chat webhooks."""
    peer = HttpPeer().start()
    yield peer
    peer.stop()


@pytest.fixture
def webhook(receiver: HttpPeer, db: None) -> WebhookEndpoint:
    secret = "whsec_" + base64.b64encode(b"retainops-test-secret-32-bytes!!").decode()
    return WebhookEndpoint.objects.create(
        code="team-chat", name="Team chat", url=receiver.url, secret=secret
    )


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock stands at START; tests move it with `clock.move_to(...)`."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User) -> Client:
    """A client whose account manager is Amy, with two contacts."""
    account_manager.first_name, account_manager.last_name = "Amy", "Archer"
    account_manager.save()
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=account_manager
    )
    ContactFactory.create(
        client=client, name="Dana Diaz", email="dana@harbor.example", is_primary=True
    )
    ContactFactory.create(client=client, name="Doe, Jane", email="jane@harbor.example")
    return client


@pytest.fixture
def queue_emails(db: None) -> Callable[..., list[Message]]:
    """Queue `count` plain e-mails to distinct addresses; returns the message rows."""

    def queue(count: int, subject: str = "Monthly report") -> list[Message]:
        return [
            queue_message(
                outgoing=Outgoing(
                    subject=f"{subject} {index}",
                    body_text=f"Report number {index}.",
                    to=[f"reader{index}@client.example"],
                ),
                client=None,
                cause="test",
            )
            for index in range(count)
        ]

    return queue
