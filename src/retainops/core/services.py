"""Operations on people, roles, teams and business units (administration)."""

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction

from retainops.core.access import require_capability
from retainops.core.audit import save_audited
from retainops.core.capabilities import Capability
from retainops.core.choices import RoleCode
from retainops.core.errors import invalid
from retainops.core.models import ApiToken, BusinessUnit, Role, Team, User


@transaction.atomic
def save_business_unit(*, by: Any, unit: BusinessUnit | None, data: dict[str, Any]) -> BusinessUnit:
    require_capability(by, Capability.MANAGE_UNITS)
    unit = unit or BusinessUnit()
    for name in ("code", "name", "is_active"):
        if name in data:
            setattr(unit, name, data[name])
    save_audited(unit, by)
    return unit


@transaction.atomic
def save_role(*, by: Any, role: Role | None, data: dict[str, Any]) -> Role:
    require_capability(by, Capability.MANAGE_USERS)
    role = role or Role()
    if role.pk and role.is_builtin and data.get("code", role.code) != role.code:
        raise invalid("code", "The code of a built-in role cannot change; processes refer to it.")
    if role.code == RoleCode.ADMINISTRATOR and Capability.MANAGE_USERS not in data.get(
        "capabilities", role.capabilities
    ):
        raise invalid(
            "capabilities",
            "The administrator role keeps the right to manage users, or no one could.",
        )
    unknown = sorted(set(data.get("capabilities", [])) - set(Capability.values))
    if unknown:
        raise invalid("capabilities", f"Unknown capabilities: {', '.join(unknown)}.")
    for name in ("code", "label", "description", "capabilities"):
        if name in data:
            setattr(role, name, data[name])
    save_audited(role, by)
    return role


@transaction.atomic
def create_user(*, by: Any, data: dict[str, Any], password: str) -> User:
    require_capability(by, Capability.MANAGE_USERS)
    user = User(
        username=data.get("username", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        email=data.get("email", ""),
    )
    if len(password) < 8:
        raise invalid("password", "Use at least 8 characters.")
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user._history_user = by  # type: ignore[attr-defined]
    user.save()
    set_user_access(
        by=by,
        user=user,
        roles=list(data.get("roles", [])),
        units=list(data.get("business_units", [])),
    )
    return user


@transaction.atomic
def update_user(*, by: Any, user: User, data: dict[str, Any]) -> User:
    require_capability(by, Capability.MANAGE_USERS)
    for name in ("first_name", "last_name", "email", "is_active"):
        if name in data:
            setattr(user, name, data[name])
    if user.pk == getattr(by, "pk", None) and data.get("is_active") is False:
        raise invalid("is_active", "You cannot deactivate yourself.")
    user.full_clean(exclude=["password"])
    user._history_user = by  # type: ignore[attr-defined]
    user.save()
    return user


@transaction.atomic
def set_user_access(
    *, by: Any, user: User, roles: list[Role] | None = None, units: list[BusinessUnit] | None = None
) -> User:
    """Replace a user's roles and/or business units."""
    require_capability(by, Capability.MANAGE_USERS)
    if roles is not None:
        keeps_admin = any(Capability.MANAGE_USERS in r.capabilities for r in roles)
        if user.pk == by.pk and not by.is_superuser and not keeps_admin:
            raise invalid("roles", "You cannot remove your own right to manage users.")
        user._history_user = by  # type: ignore[attr-defined]
        user.roles.set(roles)
    if units is not None:
        user._history_user = by  # type: ignore[attr-defined]
        user.business_units.set(units)
    user.forget_cached_access()
    return user


@transaction.atomic
def save_team(*, by: Any, team: Team | None, data: dict[str, Any]) -> Team:
    require_capability(by, Capability.MANAGE_USERS)
    team = team or Team()
    for name in ("name", "business_unit"):
        if name in data:
            setattr(team, name, data[name])
    save_audited(team, by)
    if "members" in data:
        team.members.set(data["members"])
    return team


def issue_api_token(*, username: str, password: str) -> str:
    """Exchange a username and password for a bearer token (returned once)."""
    if not username or not password:
        raise ValidationError({"username": ["Give a username and a password."]})
    user = authenticate(username=username, password=password)
    if user is None:
        raise ValidationError({"password": ["Username or password is wrong."]})
    _token, raw = ApiToken.issue(user)
    return raw
