"""Permission checks used by services: one place that says who may do what."""

from typing import Any

from django.core.exceptions import PermissionDenied

from retainops.core.capabilities import Capability


def require_capability(user: Any, capability: Capability) -> None:
    """Refuse unless the user's roles grant the capability."""
    if not getattr(user, "is_authenticated", False) or not user.has_capability(capability):
        raise PermissionDenied(f"You are not allowed to: {capability.label.lower()}.")


def sees_all_units(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.SEE_ALL_UNITS))


def require_unit_access(user: Any, unit_id: int) -> None:
    """Refuse unless the user works in the business unit (or sees all units)."""
    if sees_all_units(user):
        return
    if unit_id not in user.unit_ids():
        raise PermissionDenied("You do not work in that business unit.")
