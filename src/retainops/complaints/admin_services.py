"""Configuration of complaints, kept by operations: service-level policies, business
hours per unit, categories and root causes. Each save validates the whole row first and
names every bad field; nothing is written when one is wrong."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from retainops.complaints.models import (
    BusinessCalendar,
    ComplaintCategory,
    RootCause,
    ServiceLevelPolicy,
)
from retainops.complaints.services import require_manager
from retainops.core.access import require_unit_access, sees_all_units
from retainops.core.audit import save_audited
from retainops.core.errors import Problems
from retainops.core.models import BusinessUnit

POLICY_FIELDS = (
    "first_response_minutes",
    "resolution_minutes",
    "warn_at_percent",
    "second_level_percent",
)
CALENDAR_FIELDS = (
    "time_zone",
    "working_days",
    "opens_at",
    "closes_at",
    "holiday_country",
    "holiday_subdivision",
)


def _save(row: Any, by: Any, data: dict[str, Any], fields: tuple[str, ...], reason: str) -> Any:
    for name in fields:
        if name in data:
            setattr(row, name, data[name])
    problems = Problems()
    problems.check(row)
    problems.raise_if_any()
    save_audited(row, by, reason)
    return row


@transaction.atomic
def save_policy(
    *,
    by: Any,
    policy: ServiceLevelPolicy | None,
    data: dict[str, Any],
) -> ServiceLevelPolicy:
    """Create a policy (`data` names its unit, None for every unit, and severity) or change
    an existing one's targets. Complaints already raised keep the targets they pinned."""
    require_manager(by)
    if policy is None:
        unit: BusinessUnit | None = data.get("business_unit")
        _require_unit(by, unit)
        policy = ServiceLevelPolicy(business_unit=unit, severity=data.get("severity", ""))
        return _save(policy, by, data, POLICY_FIELDS, "created")
    _require_unit(by, policy.business_unit)
    return _save(policy, by, data, POLICY_FIELDS, "changed")


def _require_unit(by: Any, unit: BusinessUnit | None) -> None:
    """A unit's settings are its own people's to set; those for every unit, the people's
    who see every unit."""
    if unit is not None:
        require_unit_access(by, unit.pk)
    elif not sees_all_units(by):
        raise PermissionDenied("Only those who see every unit set what applies to all of them.")


@transaction.atomic
def save_calendar(*, by: Any, unit: BusinessUnit, data: dict[str, Any]) -> BusinessCalendar:
    """Set a unit's business hours; open complaints keep the due times already scheduled
    until their clocks next move."""
    require_manager(by)
    _require_unit(by, unit)
    calendar = BusinessCalendar.objects.filter(business_unit=unit).first()
    if calendar is None:
        calendar = BusinessCalendar(business_unit=unit)
    if "holiday_country" in data:
        data = {**data, "holiday_country": str(data["holiday_country"] or "").upper()}
    return _save(calendar, by, data, CALENDAR_FIELDS, "business hours set")


@transaction.atomic
def save_category(*, by: Any, category: ComplaintCategory | None, data: dict[str, Any]) -> Any:
    require_manager(by)
    row = category or ComplaintCategory()
    return _save(row, by, data, ("code", "label", "is_active"), "saved")


@transaction.atomic
def save_root_cause(*, by: Any, root_cause: RootCause | None, data: dict[str, Any]) -> Any:
    require_manager(by)
    row = root_cause or RootCause()
    return _save(row, by, data, ("code", "label", "is_active"), "saved")
