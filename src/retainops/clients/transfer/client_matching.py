"""Matching rows to clients: the existing client a row updates, and rows naming one twice.

A row names a client by external id (a CRM's account id) or, without one, by
name within its business unit.
"""

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from retainops.clients.models import Client
from retainops.clients.transfer.cells import Row
from retainops.clients.transfer.client_plans import ClientPlan
from retainops.core.models import BusinessUnit


class ClientIndex:
    """The clients of each unit a file names, loaded once, to match rows against."""

    def __init__(self) -> None:
        self._units: dict[int, tuple[dict[str, Client], dict[str, list[Client]]]] = {}

    def _load(self, unit: BusinessUnit) -> tuple[dict[str, Client], dict[str, list[Client]]]:
        if unit.pk not in self._units:
            by_id: dict[str, Client] = {}
            by_name: dict[str, list[Client]] = defaultdict(list)
            for client in Client.objects.filter(business_unit=unit):
                if client.external_id:
                    by_id[client.external_id] = client
                by_name[client.name.casefold()].append(client)
            self._units[unit.pk] = (by_id, by_name)
        return self._units[unit.pk]

    def match(self, unit: BusinessUnit, external_id: str, name: str) -> list[Client]:
        """The external id decides when given; else the name. A client without an external
        id is also matched by name, so a first CRM import completes an earlier spreadsheet."""
        by_id, by_name = self._load(unit)
        if external_id and external_id in by_id:
            return [by_id[external_id]]
        named = by_name.get(name.casefold(), [])
        return [c for c in named if not c.external_id] if external_id else named


class ClientRowKeys:
    """Which rows of the file name the same client, so each client has only one row."""

    def __init__(self) -> None:
        self.existing: dict[int, int] = {}
        self.external: dict[tuple[int, str], int] = {}
        self.named_without_id: dict[tuple[int, str], int] = {}
        self.named: dict[tuple[int, str], int] = {}

    def claim(self, row: Row, plan: ClientPlan, values: Mapping[str, Any]) -> None:
        earlier = self._earlier(row.number, plan, values)
        if earlier is not None:
            row.fail("name", f"The same client is on row {earlier}; give each client one row.")

    def _earlier(self, number: int, plan: ClientPlan, values: Mapping[str, Any]) -> int | None:
        """An earlier row for the same client: the same existing client, the same external
        id, or the same name where one of the two rows has no external id."""
        unit, external_id = plan.unit.pk, values.get("external_id", "")
        name = (unit, str(values.get("name", "")).casefold())
        candidates = []
        if plan.client is not None:
            candidates.append(self.existing.setdefault(plan.client.pk, number))
        if external_id:
            candidates.append(self.external.setdefault((unit, external_id), number))
            candidates.append(self.named_without_id.get(name, number))
        else:
            candidates.append(self.named.get(name, number))
            self.named_without_id.setdefault(name, number)
        self.named.setdefault(name, number)
        return next((c for c in candidates if c != number), None)


def existing_client(
    row: Row, index: ClientIndex, unit: BusinessUnit, values: Mapping[str, Any]
) -> Client | None:
    if "name" not in values:
        return None
    matches = index.match(unit, values.get("external_id", ""), values["name"])
    if len(matches) > 1:
        row.fail(
            "name",
            f"{len(matches)} clients in {unit} are called {values['name']!r}; "
            "add an external_id column to say which.",
        )
        return None
    return matches[0] if matches else None
