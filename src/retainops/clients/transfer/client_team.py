"""The client's team as a row gives it: who holds each team role, checked before writing.

The checks are those of services.assign_team_member, made for every row at
once so that a dry run lists them all.
"""

from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.transfer.cells import Row
from retainops.clients.transfer.columns import TEAM_COLUMNS
from retainops.clients.transfer.lookups import Lookups
from retainops.core.models import BusinessUnit, Role, User


def team_members(
    row: Row, lookups: Lookups, unit: BusinessUnit | None
) -> list[tuple[str, Role, User]]:
    """The people the team columns name; checked even when the unit is unknown."""
    chosen = []
    for column, role_code in TEAM_COLUMNS.items():
        value = row.text(column)
        role = lookups.roles.get(role_code)
        if not value:
            continue
        if role is None:
            row.fail(column, f"The role {role_code} is not set up; ask an administrator.")
            continue
        user = _team_user(row, column, value, lookups)
        problem = _team_problem(user, role, unit) if user else ""
        if problem:
            row.fail(column, problem)
        elif user is not None:
            chosen.append((column, role, user))
    return chosen


def _team_user(row: Row, column: str, value: str, lookups: Lookups) -> User | None:
    """The one user with that username or e-mail (an e-mail may be shared)."""
    users = lookups.users(value)
    if len(users) == 1:
        return users[0]
    if users:
        row.fail(column, f"{value!r} matches several users; give the username.")
    else:
        row.fail(column, f"No user has the username or e-mail {value!r}.")
    return None


def _team_problem(user: User, role: Role, unit: BusinessUnit | None) -> str:
    """Why the person cannot hold the role on this unit's client (as assign_team_member says)."""
    if not user.is_active:
        return f"{user.username} is not an active user."
    if role.code not in user.role_codes():
        return f"{user.username} does not have the role {role.label}."
    if unit is not None and unit.pk not in user.unit_ids() and not user.is_superuser:
        return f"{user.username} does not work in {unit}."
    return ""


def team_changes(
    existing: Client | None, team: list[tuple[str, Role, User]]
) -> list[tuple[str, Role, User]]:
    """The assignments that change the client's team (all of them for a new client)."""
    if existing is None:
        return team
    current = dict(ClientTeamMember.objects.filter(client=existing).values_list("role", "user"))
    return [(column, role, user) for column, role, user in team if current.get(role.pk) != user.pk]
