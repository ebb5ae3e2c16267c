"""Checking a clients file: each row read, matched, validated and turned into a plan.

Every problem of every row is collected; nothing is written here.
"""

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from retainops.clients.models import Client, Contact
from retainops.clients.transfer.cells import Row, date_cell, with_scheme
from retainops.clients.transfer.client_lifecycle import client_status, transitions
from retainops.clients.transfer.client_matching import ClientIndex, ClientRowKeys, existing_client
from retainops.clients.transfer.client_plans import CONTACT_COLUMN_OF, ClientPlan, ContactPlan
from retainops.clients.transfer.client_team import team_changes, team_members
from retainops.clients.transfer.columns import CONTACT_COLUMNS
from retainops.clients.transfer.lookups import Lookups, row_unit
from retainops.clients.transfer.validation import changed, copy_with, model_problems
from retainops.clients.transfer.writing import Plan
from retainops.core.capabilities import Capability
from retainops.core.models import BusinessUnit


def plan_clients(rows: Iterable[Row], lookups: Lookups) -> list[Plan]:
    """A plan for each good row; the problems of the others are left on their rows."""
    index, keys = ClientIndex(), ClientRowKeys()
    plans: list[Plan] = []
    for row in rows:
        plan = _plan_client(row, lookups, index, keys)
        if plan is not None:
            plans.append(plan)
    return plans


def _plan_client(
    row: Row, lookups: Lookups, index: ClientIndex, keys: ClientRowKeys
) -> ClientPlan | None:
    unit = row_unit(row, lookups, required=True)
    values = _client_values(row)
    status = client_status(row)
    contact = _contact_values(row)
    team = team_members(row, lookups, unit)
    if unit is None:
        return None
    existing = existing_client(row, index, unit, values)
    model_problems(row, _client_as_saved(existing, unit, values), {})
    plan = ClientPlan(
        row=row.number,
        unit=unit,
        client=existing,
        data=values if existing is None else changed(existing, values),
        transitions=transitions(row, existing, status),
        team=team_changes(existing, team),
        contact=_contact_plan(row, existing, contact),
    )
    _check_client_rights(row, lookups.by, plan)
    keys.claim(row, plan, values)
    return None if row.bad else plan


def _client_values(row: Row) -> dict[str, Any]:
    """The client's own fields; blank cells are left out (an update keeps what is there)."""
    values: dict[str, Any] = {}
    if row.text("name"):
        values["name"] = row.text("name")
    else:
        row.fail("name", "Give the client's name.")
    for column in ("external_id", "industry", "notes"):
        if row.text(column):
            values[column] = row.text(column)
    if row.text("website"):
        values["website"] = with_scheme(row.text("website"))
    sold_on = date_cell(row, "sold_on")
    if sold_on is not None:
        values["sold_on"] = sold_on
    return values


def _contact_values(row: Row) -> dict[str, str]:
    """The main contact's fields; a contact is found by e-mail, so a name needs one."""
    values = {
        name: row.text(column) for column, name in CONTACT_COLUMNS.items() if row.text(column)
    }
    if values and "email" not in values:
        row.fail("contact_email", "Give the contact's e-mail along with the name or phone.")
    elif values and "name" not in values:
        row.fail("contact_name", "Give the contact's name along with the e-mail.")
    return values


def _client_as_saved(
    existing: Client | None, unit: BusinessUnit, values: Mapping[str, Any]
) -> Client:
    """An unsaved copy of the client as the row would leave it, to validate."""
    instance = copy.copy(existing) if existing else Client(business_unit=unit)
    for name, value in values.items():
        setattr(instance, name, value)
    return instance


def _contact_plan(row: Row, existing: Client | None, values: dict[str, str]) -> ContactPlan | None:
    """Add the contact (primary if the client has none yet), or update the one with that
    e-mail; validated as the contact services will."""
    if "email" not in values or "name" not in values:
        return None
    contact = None
    if existing is not None:
        contact = existing.contacts.filter(email__iexact=values["email"]).first()
    if contact is None:
        has_primary = existing is not None and existing.contacts.filter(is_primary=True).exists()
        data: dict[str, Any] = {**values, "is_primary": not has_primary}
        model_problems(row, Contact(**data), CONTACT_COLUMN_OF, exclude=["client"])
        return ContactPlan(contact=None, data=data)
    changes = changed(contact, {k: v for k, v in values.items() if k != "email"})
    model_problems(row, copy_with(contact, changes), CONTACT_COLUMN_OF, exclude=["client"])
    return ContactPlan(contact=contact, data=changes) if changes else None


def _check_client_rights(row: Row, by: Any, plan: ClientPlan) -> None:
    """The capabilities the services will ask for, checked now so a dry run reports them."""
    if plan.client is None and not by.has_capability(Capability.CREATE_CLIENT):
        row.fail("name", _refusal(Capability.CREATE_CLIENT))
    edits = (plan.client is not None and plan.data) or plan.team or plan.contact
    if edits and not by.has_capability(Capability.EDIT_CLIENT):
        row.fail("name", _refusal(Capability.EDIT_CLIENT))
    if plan.transitions and not by.has_capability(Capability.CHANGE_CLIENT_STATUS):
        row.fail("status", _refusal(Capability.CHANGE_CLIENT_STATUS))


def _refusal(capability: Capability) -> str:
    return f"You are not allowed to: {capability.label.lower()}."
