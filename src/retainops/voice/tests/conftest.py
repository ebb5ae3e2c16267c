"""Fixtures for the voice of the customer: Harbor Dental in North (London hours), whose
account manager is Amy, with two contacts; the standard NPS and CSAT surveys; and
`send` / `token_of` helpers."""

from collections.abc import Callable
from datetime import time
from typing import Any

import pytest

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.complaints.models import BusinessCalendar
from retainops.core.models import BusinessUnit, Role, User
from retainops.messaging.tests.conftest import START, clock, smtp, smtp_server  # noqa: F401
from retainops.voice import links, services
from retainops.voice.models import Survey, SurveyDefinition, SurveyInvitation


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User) -> Client:
    BusinessCalendar.objects.create(
        business_unit=north,
        time_zone="Europe/London",
        working_days=[1, 2, 3, 4, 5],
        opens_at=time(9),
        closes_at=time(17),
        holiday_country="GB",
        holiday_subdivision="ENG",
    )
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=account_manager
    )
    ContactFactory.create(client=client, name="Dana Diaz", email="dana@harbor.example")
    ContactFactory.create(client=client, name="Jane Doe", email="jane@harbor.example")
    return client


@pytest.fixture
def nps(db: None) -> SurveyDefinition:
    return SurveyDefinition.objects.get(code="nps")


@pytest.fixture
def csat(db: None) -> SurveyDefinition:
    return SurveyDefinition.objects.get(code="csat")


@pytest.fixture
def send(account_manager: User) -> Callable[..., Survey]:
    def send_one(definition: SurveyDefinition, client: Client, **kwargs: Any) -> Survey:
        return services.send_survey(
            by=account_manager, definition=definition, client=client, **kwargs
        )

    return send_one


def token_of(invitation: SurveyInvitation) -> str:
    return links.token_for(invitation)


def first_token(survey: Survey) -> str:
    return token_of(survey.invitations.order_by("id").first())  # type: ignore[arg-type]
