"""Configuring onboarding: the details a purchase order must hold, per service.

Kept apart from services.py, which changes programs: these operations change
configuration and are for those who manage the catalogue.
"""

from typing import Any

from django.db import transaction

from retainops.core.access import require_capability
from retainops.core.audit import save_audited
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.onboarding.choices import DetailKind
from retainops.onboarding.models import DetailRequirement, Program

FIELDS = ("service", "key", "label", "kind", "help_text", "required", "position")


def _choices(raw: Any) -> list[str]:
    """The list's choices, trimmed, blanks and repeats dropped (text: comma-separated)."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


@transaction.atomic
def save_requirement(
    *, by: Any, requirement: DetailRequirement | None, data: dict[str, Any]
) -> DetailRequirement:
    """Add a requirement (``requirement=None``) or change one; every field is checked
    before anything is written."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    requirement = requirement or DetailRequirement()
    old_key = requirement.key if requirement.pk else None
    for name in FIELDS:
        if name in data:
            setattr(requirement, name, data[name])
    choices = _choices(data.get("choices"))
    if requirement.kind == DetailKind.CHOICE and not choices:
        raise invalid("choices", "List the choices, separated by commas.")
    # Only a list offers choices; others keep none, so nothing stale lingers.
    requirement.choices = choices if requirement.kind == DetailKind.CHOICE else []
    key = str(requirement.key or "")
    if DetailRequirement.objects.filter(key=key).exclude(pk=requirement.pk).exists():
        raise invalid("key", "Another requirement already uses this key.")
    if old_key and key != old_key and Program.objects.filter(details__has_key=old_key).exists():
        # Orders hold their values under the key: renaming it would orphan them.
        raise invalid("key", "Orders already hold this detail under its key; keep the key.")
    save_audited(requirement, by)
    return requirement
