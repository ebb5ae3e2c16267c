"""The administration pages, driven through HTTP as an administrator or a refused person."""

from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client as HttpClient
from django.urls import reverse

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


# Refusals -----------------------------------------------------------------------------

PAGES = [
    "home",
    "units",
    "unit_create",
    "unit_edit",
    "roles",
    "role_create",
    "role_edit",
    "users",
    "user_create",
    "user_edit",
    "teams",
    "team_create",
    "team_edit",
]


def _url(name: str, north: BusinessUnit, account_manager: User) -> str:
    """The page's URL; edit pages get an object that exists, so only the refusal can 403."""
    objects = {
        "unit": north,
        "role": Role.objects.get(code="administrator"),
        "user": account_manager,
        "team": Team.objects.get_or_create(name="Night desk")[0],
    }
    if name.endswith("_edit"):
        target = objects[name.removesuffix("_edit")]
        assert target is not None
        return reverse(f"administration:{name}", args=[target.pk])
    return reverse(f"administration:{name}")


@pytest.mark.parametrize("name", PAGES)
def test_account_manager_is_refused_every_admin_page(
    client: HttpClient, account_manager: User, north: BusinessUnit, name: str
) -> None:
    client.force_login(account_manager)
    url = _url(name, north, account_manager)

    assert client.get(url).status_code == 403
    assert client.post(url, {"code": "x", "name": "x", "username": "x"}).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_administrator_opens_every_admin_page(
    admin_client: HttpClient, account_manager: User, north: BusinessUnit, name: str
) -> None:
    response = admin_client.get(_url(name, north, account_manager))

    assert response.status_code == 200
    if name.endswith(("_create", "_edit")):
        assert 'type="submit"' in response.content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client: HttpClient) -> None:
    response = client.get(reverse("administration:users"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Users --------------------------------------------------------------------------------


def test_administrator_creates_a_user_who_can_then_sign_in(
    admin_client: HttpClient, north: BusinessUnit, south: BusinessUnit
) -> None:
    finance = Role.objects.get(code="finance")

    response = admin_client.post(
        reverse("administration:user_create"),
        {
            "username": "fiona_fin",
            "first_name": "Fiona",
            "last_name": "Fin",
            "email": "fiona@agency.example",
            "password": "ledger-2026",
            "roles": [finance.pk],
            "business_units": [north.pk, south.pk],
        },
    )

    assert response.status_code == 302
    fiona = User.objects.get(username="fiona_fin")
    assert list(fiona.roles.all()) == [finance]
    assert set(fiona.business_units.all()) == {north, south}
    assert HttpClient().login(request=HttpRequest(), username="fiona_fin", password="ledger-2026")


def test_short_password_is_refused_by_the_service_and_nobody_is_created(
    admin_client: HttpClient,
) -> None:
    response = admin_client.post(
        reverse("administration:user_create"), {"username": "shorty", "password": "abc"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["password"] == ["Use at least 8 characters."]
    assert not User.objects.filter(username="shorty").exists()


def test_administrator_cannot_remove_their_own_user_management_right(
    admin_client: HttpClient, administrator: User
) -> None:
    account_manager = Role.objects.get(code="account_manager")

    response = admin_client.post(
        reverse("administration:user_edit", args=[administrator.pk]),
        {"first_name": "Renamed", "is_active": "on", "roles": [account_manager.pk]},
    )

    assert response.status_code == 400
    assert "You cannot remove your own right to manage users." in response.content.decode()
    administrator.refresh_from_db()
    assert administrator.first_name != "Renamed"
    assert administrator.role_codes() == {"administrator"}


def test_editing_a_user_changes_profile_and_access(
    admin_client: HttpClient, account_manager: User, south: BusinessUnit
) -> None:
    finance = Role.objects.get(code="finance")

    response = admin_client.post(
        reverse("administration:user_edit", args=[account_manager.pk]),
        {
            "first_name": "Amy",
            "last_name": "Moved",
            "roles": [finance.pk],
            "business_units": [south.pk],
        },
    )

    assert response.status_code == 302
    amy = User.objects.get(pk=account_manager.pk)
    assert (amy.last_name, amy.is_active) == ("Moved", False)
    assert amy.role_codes() == {"finance"}
    assert amy.unit_ids() == {south.pk}
    assert not HttpClient().login(
        request=HttpRequest(), username=amy.username, password="pass-word-1"
    )


def test_user_search_matches_username_name_and_email(
    admin_client: HttpClient, account_manager: User
) -> None:
    UserFactory(username="zed", first_name="Zelda", last_name="Quill", email="zq@agency.example")
    users_url = reverse("administration:users")

    def found(query: str) -> set[str]:
        page = admin_client.get(users_url, {"q": query}).context["page"]
        return {u.username for u in page.object_list}

    assert found("zed") == {"zed"}
    assert found("quill") == {"zed"}
    assert found("zq@agency") == {"zed"}
    assert found("nobody-like-this") == set()
    assert "No users match." in admin_client.get(users_url, {"q": "nobody"}).content.decode()


def test_user_list_filters_by_role_and_unit(
    admin_client: HttpClient,
    account_manager: User,
    service_agent: User,
    south_account_manager: User,
) -> None:
    users_url = reverse("administration:users")

    def found(**filters: str) -> set[str]:
        page = admin_client.get(users_url, filters).context["page"]
        return {u.username for u in page.object_list}

    assert found(role="account_manager") == {"amy_am", "sam_south"}
    assert found(role="account_manager", unit="north") == {"amy_am"}
    assert found(unit="north") == {"amy_am", "sid_service"}


def test_user_list_is_paginated_fifty_a_page(admin_client: HttpClient) -> None:
    User.objects.bulk_create(User(username=f"bulk{n:03}") for n in range(60))
    users_url = reverse("administration:users")

    first = admin_client.get(users_url, {"q": "bulk"})
    second = admin_client.get(users_url, {"q": "bulk", "page": "2"})

    assert len(first.context["page"].object_list) == 50
    assert "q=bulk&amp;page=2" in first.content.decode()
    assert [u.username for u in second.context["page"].object_list] == [
        f"bulk{n:03}" for n in range(50, 60)
    ]


# Roles --------------------------------------------------------------------------------


def test_role_list_spells_out_capabilities(admin_client: HttpClient) -> None:
    listing = admin_client.get(reverse("administration:roles")).content.decode()

    assert Capability.MANAGE_USERS.label in listing
    assert Capability.IMPORT_DATA.label in listing


def test_an_unknown_capability_cannot_be_granted(admin_client: HttpClient) -> None:
    finance = Role.objects.get(code="finance")

    response = admin_client.post(
        reverse("administration:role_edit", args=[finance.pk]),
        {"label": "Finance", "capabilities": ["contract.edit", "bank.rob"]},
    )

    assert response.status_code == 400
    assert "capabilities" in response.context["form"].errors
    finance.refresh_from_db()
    assert finance.capabilities == ["contract.edit"]


def test_administrator_creates_a_role(admin_client: HttpClient) -> None:
    admin_client.post(
        reverse("administration:role_create"),
        {
            "code": "media_buyer",
            "label": "Media buyer",
            "description": "Buys inventory",
            "capabilities": [Capability.EDIT_CONTRACT, Capability.EDIT_CLIENT],
        },
    )

    role = Role.objects.get(code="media_buyer")
    assert set(role.capabilities) == {"contract.edit", "client.edit"}
    assert not role.is_builtin


def test_role_edit_page_locks_the_code_of_built_in_roles_only(admin_client: HttpClient) -> None:
    custom = Role.objects.create(code="intern", label="Intern")
    builtin = Role.objects.get(code="finance")

    def code_locked(role: Role) -> bool:
        page = admin_client.get(reverse("administration:role_edit", args=[role.pk]))
        return bool(page.context["form"].fields["code"].disabled)

    assert code_locked(builtin)
    assert not code_locked(custom)


# Units and teams ----------------------------------------------------------------------


def test_administrator_creates_and_renames_a_business_unit(admin_client: HttpClient) -> None:
    admin_client.post(
        reverse("administration:unit_create"), {"code": "east", "name": "East", "is_active": "on"}
    )
    east = BusinessUnit.objects.get(code="east")

    admin_client.post(
        reverse("administration:unit_edit", args=[east.pk]),
        {"code": "east", "name": "East Coast", "is_active": "on"},
    )

    east.refresh_from_db()
    assert east.name == "East Coast"
    assert "East Coast" in admin_client.get(reverse("administration:units")).content.decode()


def test_teams_page_says_when_there_are_none(admin_client: HttpClient) -> None:
    assert "No teams yet." in admin_client.get(reverse("administration:teams")).content.decode()


def test_administrator_builds_a_team_and_edits_its_members(
    admin_client: HttpClient, north: BusinessUnit, account_manager: User, service_agent: User
) -> None:
    admin_client.post(
        reverse("administration:team_create"),
        {"name": "Save desk", "business_unit": north.pk, "members": [account_manager.pk]},
    )
    team = Team.objects.get(name="Save desk")
    assert team.business_unit == north

    admin_client.post(
        reverse("administration:team_edit", args=[team.pk]),
        {"name": "Save desk", "business_unit": "", "members": [service_agent.pk]},
    )

    team.refresh_from_db()
    assert team.business_unit is None
    assert list(team.members.all()) == [service_agent]
    listing = admin_client.get(reverse("administration:teams")).content.decode()
    assert "Save desk" in listing and str(service_agent) in listing


def test_duplicate_team_name_is_refused(admin_client: HttpClient) -> None:
    Team.objects.create(name="Save desk")

    response = admin_client.post(reverse("administration:team_create"), {"name": "Save desk"})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert Team.objects.filter(name="Save desk").count() == 1


def test_administrator_role_keeps_user_management(administrator: User) -> None:
    from django.core.exceptions import ValidationError

    from retainops.core.models import Role
    from retainops.core.services import save_role

    role = Role.objects.get(code="administrator")
    with pytest.raises(ValidationError, match="keeps the right to manage users"):
        save_role(by=administrator, role=role, data={"capabilities": ["client.edit"]})
    role.refresh_from_db()
    assert "users.manage" in role.capabilities
