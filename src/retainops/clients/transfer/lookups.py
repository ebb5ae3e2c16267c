"""What the rows of a file name (units, services, roles, people, clients), looked up once.

A file of a thousand rows names the same few units and people again and
again; each is fetched once per import and the rows share the answer.
"""

from typing import Any

from django.db.models import Q

from retainops.clients.models import Client, ServiceLine
from retainops.clients.queries import visible_clients
from retainops.clients.transfer.cells import Row
from retainops.clients.transfer.columns import TEAM_COLUMNS
from retainops.core.access import sees_all_units
from retainops.core.models import BusinessUnit, Role, User


def default_unit(by: Any) -> BusinessUnit | None:
    """The unit of someone who works in exactly one: rows that name none go there."""
    unit_ids = by.unit_ids()
    if len(unit_ids) != 1:
        return None
    return BusinessUnit.objects.filter(pk__in=unit_ids).first()


def may_use_unit(by: Any, unit: BusinessUnit) -> bool:
    return sees_all_units(by) or unit.pk in by.unit_ids()


class Lookups:
    """What rows name (units, services, roles, people), each looked up once per import."""

    def __init__(self, by: Any) -> None:
        self.by = by
        self.default_unit = default_unit(by)
        self._units = list(BusinessUnit.objects.all())
        self._services = list(ServiceLine.objects.all())
        self.roles = {r.code: r for r in Role.objects.filter(code__in=TEAM_COLUMNS.values())}
        self._users: dict[str, list[User]] = {}
        self._clients: dict[tuple[int | None, str], list[Client]] = {}

    def unit(self, value: str) -> BusinessUnit | None:
        key = value.casefold()
        return next((u for u in self._units if key in (u.code.casefold(), u.name.casefold())), None)

    def service(self, value: str) -> ServiceLine | None:
        key = value.casefold()
        return next(
            (s for s in self._services if key in (s.code.casefold(), s.name.casefold())), None
        )

    def users(self, value: str) -> list[User]:
        key = value.casefold()
        if key not in self._users:
            found = User.objects.filter(Q(username__iexact=value) | Q(email__iexact=value))
            self._users[key] = list(found)
        return self._users[key]

    def visible_clients(self, unit: BusinessUnit | None, value: str) -> list[Client]:
        """Clients the importer may see whose external id, else name, is `value`."""
        key = (unit.pk if unit else None, value.casefold())
        if key not in self._clients:
            clients = visible_clients(self.by).select_related("business_unit")
            if unit is not None:
                clients = clients.filter(business_unit=unit)
            found = list(clients.filter(external_id=value)) or list(
                clients.filter(name__iexact=value)
            )
            self._clients[key] = found
        return self._clients[key]


def row_unit(row: Row, lookups: Lookups, *, required: bool) -> BusinessUnit | None:
    """The row's business unit, which the importer must work in."""
    value = row.text("business_unit")
    if not value:
        if required and lookups.default_unit is None:
            row.fail("business_unit", "Give the business unit (its code or name).")
        return lookups.default_unit if required else None
    unit = lookups.unit(value)
    if unit is None:
        row.fail("business_unit", f"No business unit has the code or name {value!r}.")
    elif not may_use_unit(lookups.by, unit):
        row.fail("business_unit", f"You do not work in {unit}.")
        return None
    return unit
