"""The catalogue's administration pages (services, tools and boards), driven through
HTTP as an administrator, a curator or a refused person."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.clients.models import ServiceLine, Tool
from retainops.clients.services import update_client
from retainops.clients.testing import ClientFactory
from retainops.core.capabilities import Capability
from retainops.core.models import BusinessUnit, Role, Team, User
from retainops.core.testing import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: HttpClient, administrator: User) -> HttpClient:
    client.force_login(administrator)
    return client


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# Catalogues ---------------------------------------------------------------------------


def test_administrator_adds_a_service_line_and_sees_it_listed(admin_client: HttpClient) -> None:
    response = admin_client.post(
        reverse("clients:service_create"),
        {
            "code": "podcast-ads",
            "name": "Podcast ads",
            "description": "Audio spots",
            "is_active": "on",
        },
        follow=True,
    )

    assert response.redirect_chain == [(reverse("clients:services"), 302)]
    assert "Service Podcast ads added." in _messages(response)
    assert ServiceLine.objects.get(code="podcast-ads").description == "Audio spots"
    listing = admin_client.get(reverse("clients:services")).content.decode()
    assert "Podcast ads" in listing and "podcast-ads" in listing


def test_administrator_adds_a_tool_and_sees_it_listed(admin_client: HttpClient) -> None:
    response = admin_client.post(
        reverse("clients:tool_create"),
        {
            "code": "call-tracker",
            "name": "Call tracker",
            "kind": "board",
            "platform_exit_only": "on",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    tool = Tool.objects.get(code="call-tracker")
    assert (tool.kind, tool.platform_exit_only, tool.is_active) == ("board", True, True)
    listing = admin_client.get(reverse("clients:tools")).content.decode()
    assert "Call tracker" in listing
    assert "Only when the client leaves the platform" in listing


def test_editing_a_service_can_deactivate_it_and_it_stays_listed(admin_client: HttpClient) -> None:
    seo = ServiceLine.objects.get(code="seo")
    page = admin_client.get(reverse("clients:service_edit", args=[seo.pk]))
    assert page.status_code == 200
    assert page.context["form"]["name"].value() == "SEO"

    admin_client.post(
        reverse("clients:service_edit", args=[seo.pk]),
        {"code": "seo", "name": "Search engine optimisation", "description": ""},
    )

    seo.refresh_from_db()
    assert (seo.name, seo.is_active) == ("Search engine optimisation", False)
    listing = admin_client.get(reverse("clients:services")).content.decode()
    assert "Search engine optimisation" in listing and "Inactive" in listing


def test_duplicate_code_shows_the_services_error_and_writes_nothing(
    admin_client: HttpClient,
) -> None:
    services_before = ServiceLine.objects.count()
    history_before = ServiceLine.history.count()

    response = admin_client.post(
        reverse("clients:service_create"),
        {"code": "seo", "name": "Another SEO", "is_active": "on"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        "Service line with this Code already exists."
    ]
    assert "Service line with this Code already exists." in response.content.decode()
    assert ServiceLine.objects.count() == services_before
    assert ServiceLine.history.count() == history_before


def test_changes_are_recorded_with_the_administrator_as_author(
    admin_client: HttpClient, administrator: User
) -> None:
    admin_client.post(
        reverse("clients:service_create"), {"code": "ctv", "name": "CTV", "is_active": "on"}
    )
    admin_client.post(reverse("administration:team_create"), {"name": "Retention desk"})

    assert ServiceLine.history.first().history_user == administrator
    assert Team.history.first().history_user == administrator


# Refusals -----------------------------------------------------------------------------

PAGES = [
    "services",
    "service_create",
    "service_edit",
    "tools",
    "tool_create",
    "tool_edit",
]


def _url(name: str) -> str:
    """The page's URL; edit pages get an object that exists, so only the refusal can 403."""
    objects = {"service": ServiceLine.objects.first(), "tool": Tool.objects.first()}
    if name.endswith("_edit"):
        target = objects[name.removesuffix("_edit")]
        assert target is not None
        return reverse(f"clients:{name}", args=[target.pk])
    return reverse(f"clients:{name}")


@pytest.mark.parametrize("name", PAGES)
def test_account_manager_is_refused_every_admin_page(
    client: HttpClient, account_manager: User, name: str
) -> None:
    client.force_login(account_manager)
    url = _url(name)

    assert client.get(url).status_code == 403
    assert client.post(url, {"code": "x", "name": "x", "username": "x"}).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_administrator_opens_every_admin_page(admin_client: HttpClient, name: str) -> None:
    response = admin_client.get(_url(name))

    assert response.status_code == 200
    if name.endswith(("_create", "_edit")):
        assert 'type="submit"' in response.content.decode()


def test_refused_post_writes_nothing(client: HttpClient, account_manager: User) -> None:
    client.force_login(account_manager)

    client.post(reverse("clients:service_create"), {"code": "sneaky", "name": "Sneaky"})
    client.post(reverse("administration:unit_create"), {"code": "sneaky", "name": "Sneaky"})

    assert not ServiceLine.objects.filter(code="sneaky").exists()
    assert not BusinessUnit.objects.filter(code="sneaky").exists()


def test_home_lists_only_the_sections_a_person_may_use(client: HttpClient) -> None:
    curator = Role.objects.create(
        code="curator", label="Curator", capabilities=[Capability.MANAGE_CATALOGUE]
    )
    person = UserFactory.create(username="cleo_curator")
    person.roles.set([curator])
    client.force_login(person)

    home = client.get(reverse("administration:home"))

    titles = [s["title"] for s in home.context["sections"]]
    assert titles == ["Service catalogue", "Tools and boards"]
    assert home.context["sections"][0]["count"] == ServiceLine.objects.count()
    assert client.get(reverse("clients:services")).status_code == 200
    assert client.get(reverse("administration:users")).status_code == 403
    assert client.get(reverse("administration:units")).status_code == 403


# Roles --------------------------------------------------------------------------------


def test_giving_a_role_a_capability_lets_its_holders_do_it(
    admin_client: HttpClient, service_agent: User, north: BusinessUnit
) -> None:
    client_record = ClientFactory.create(business_unit=north)
    with pytest.raises(PermissionDenied):
        update_client(client=client_record, by=service_agent, changes={"notes": "first try"})
    service_team = Role.objects.get(code="service_team")

    response = admin_client.post(
        reverse("administration:role_edit", args=[service_team.pk]),
        {"code": "hijacked", "label": "Service team", "capabilities": [Capability.EDIT_CLIENT]},
    )

    assert response.status_code == 302
    service_team.refresh_from_db()
    assert service_team.code == "service_team", "a built-in role keeps its code"
    agent = User.objects.get(pk=service_agent.pk)
    update_client(client=client_record, by=agent, changes={"notes": "now allowed"})
    client_record.refresh_from_db()
    assert client_record.notes == "now allowed"
