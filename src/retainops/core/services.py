"""Operations on people, roles, teams and business units (administration)."""

from typing import Any

from axes.helpers import get_lockout_message
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from retainops.core.access import require_capability
from retainops.core.audit import retire_audited, save_audited
from retainops.core.capabilities import Capability
from retainops.core.choices import RoleCode
from retainops.core.errors import Problems, invalid
from retainops.core.events import ConfigurationChanged, emit
from retainops.core.models import ApiToken, BusinessUnit, Role, SavedFilter, Team, User
from retainops.core.saved_filters import MAX_NAME, MAX_QUERY, clean_query, filter_page


@transaction.atomic
def save_business_unit(
    *,
    by: Any,
    unit: BusinessUnit | None,
    data: dict[str, Any],
    problems: Problems | None = None,
) -> BusinessUnit:
    """Add a unit (``unit=None``) or change one. `problems` holds what the caller found
    already (an API body's bad fields); every problem is named at once, before writing."""
    require_capability(by, Capability.MANAGE_UNITS)
    unit = unit or BusinessUnit()
    problems = Problems() if problems is None else problems
    for name in ("code", "name", "is_active"):
        if name in data:
            setattr(unit, name, data[name])
    problems.check(unit)
    problems.raise_if_any()
    save_audited(unit, by)
    emit(ConfigurationChanged(entry=unit, change="saved", by=by))
    return unit


@transaction.atomic
def retire_business_unit(*, by: Any, unit: BusinessUnit) -> BusinessUnit:
    """Retire a unit (what clearing "Active" on its page does): its clients, staff and
    teams stay; it takes no new clients. Retiring a retired one changes nothing."""
    require_capability(by, Capability.MANAGE_UNITS)
    entry = retire_audited(unit, by)
    emit(ConfigurationChanged(entry=entry, change="retired", by=by))
    return entry


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
    emit(ConfigurationChanged(entry=role, change="saved", by=by))
    return role


@transaction.atomic
def create_user(*, by: Any, data: dict[str, Any], password: str) -> User:
    require_capability(by, Capability.MANAGE_USERS)
    user = User(
        username=data.get("username", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        email=data.get("email", ""),
        time_zone=data.get("time_zone", ""),
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
    emit(ConfigurationChanged(entry=user, change="created", by=by))
    return user


@transaction.atomic
def update_user(*, by: Any, user: User, data: dict[str, Any]) -> User:
    require_capability(by, Capability.MANAGE_USERS)
    for name in ("first_name", "last_name", "email", "is_active", "time_zone"):
        if name in data:
            setattr(user, name, data[name])
    if user.pk == getattr(by, "pk", None) and data.get("is_active") is False:
        raise invalid("is_active", "You cannot deactivate yourself.")
    user.full_clean(exclude=["password"])
    user._history_user = by  # type: ignore[attr-defined]
    user.save()
    emit(ConfigurationChanged(entry=user, change="saved", by=by))
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
    emit(ConfigurationChanged(entry=user, change="access", by=by))
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
    emit(ConfigurationChanged(entry=team, change="saved", by=by))
    return team


def issue_api_token(*, request: HttpRequest, username: str, password: str) -> str:
    """Exchange a username and password for a bearer token (returned once).

    It is a sign-in like the login page's: authenticate() gets the request, so the
    lockout (django-axes) counts a wrong password here and refuses a locked-out
    username and address even with the right one; a success is announced as a login,
    which clears the count of wrong passwords and records the time.
    """
    if not username or not password:
        raise ValidationError({"username": ["Give a username and a password."]})
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise PermissionDenied(get_lockout_message())
        raise ValidationError({"password": ["Username or password is wrong."]})
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    _token, raw = ApiToken.issue(user)
    return raw


MAX_SAVED_FILTERS = 50  # per person and page: a shelf of favourites, not an archive


@transaction.atomic
def save_filter(*, by: Any, page: str, name: str, query: str) -> SavedFilter:
    """Keep the person's filters of a list page under a name; the same name again
    replaces what it held. Parameters the page does not know are dropped."""
    known = filter_page(page)
    if known is None:
        raise invalid("page", f"No list page {page!r} saves filters.")
    name = " ".join(name.split())
    if not name:
        raise invalid("name", "Give the filters a name.")
    if len(name) > MAX_NAME:
        raise invalid("name", f"Keep the name within {MAX_NAME} characters.")
    if len(query) > MAX_QUERY * 2:
        raise invalid("query", f"These filters are too long to save (over {MAX_QUERY}).")
    cleaned = clean_query(known, query)
    if len(cleaned) > MAX_QUERY:
        raise invalid("query", f"These filters are too long to save (over {MAX_QUERY}).")
    mine = SavedFilter.objects.select_for_update().filter(user=by, page=page)
    existing = mine.filter(name=name).first()
    if existing is None and mine.count() >= MAX_SAVED_FILTERS:
        raise invalid("name", f"You keep {MAX_SAVED_FILTERS} filters here: delete one first.")
    if existing is not None:
        existing.query = cleaned
        existing.save(update_fields=["query"])
        return existing
    return SavedFilter.objects.create(user=by, page=page, name=name, query=cleaned)


@transaction.atomic
def delete_filter(*, by: Any, saved: SavedFilter) -> None:
    """A saved filter is its person's alone: anyone else is refused."""
    if saved.user_id != by.pk:
        raise PermissionDenied("This saved filter is someone else's.")
    saved.delete()
