"""The administration home page gathers every app's configuration pages."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: HttpClient, administrator: User) -> HttpClient:
    client.force_login(administrator)
    return client


def test_home_shows_every_section_to_an_administrator(admin_client: HttpClient) -> None:
    home = admin_client.get(reverse("administration:home"))

    assert home.status_code == 200
    assert len(home.context["sections"]) == 10
    for name in ("services", "tools"):
        assert reverse(f"clients:{name}") in home.content.decode()
    for name in ("units", "users", "roles", "teams"):
        assert reverse(f"administration:{name}") in home.content.decode()
    for name in ("templates", "lists", "webhooks"):
        assert reverse(f"messaging:{name}") in home.content.decode()
