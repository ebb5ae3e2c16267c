"""Configuring onboarding: the details a purchase order must hold, per service.

Kept apart from services.py, which changes programs: these operations change
configuration and are for those who manage the catalogue. A change may leave a
program with nothing missing any more (a detail made optional, moved to another
service or removed), so the steps waiting for a complete order are checked again.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from retainops.clients.models import ServiceLine
from retainops.core.access import require_capability
from retainops.core.audit import delete_audited, save_audited
from retainops.core.capabilities import Capability
from retainops.core.errors import errors_by_field, invalid
from retainops.core.events import ConfigurationChanged, emit
from retainops.onboarding.choices import DetailKind
from retainops.onboarding.models import DetailRequirement, Program
from retainops.playbooks import services as playbooks
from retainops.playbooks.choices import RunState
from retainops.playbooks.models import Run

FIELDS = ("service", "key", "label", "kind", "help_text", "required", "position")
KEY_HELD = "Orders already hold this detail under its key"


def _choices(raw: Any) -> list[str]:
    """The list's choices, trimmed, blanks and repeats dropped (text: comma-separated)."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def _assign(requirement: DetailRequirement, data: dict[str, Any]) -> dict[str, list[str]]:
    """Set the fields `data` holds; what cannot even be set (an unknown service) is named."""
    problems: dict[str, list[str]] = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "service" and isinstance(value, str):
            # A service's code, as the API names it.
            found = ServiceLine.objects.filter(code=value).first()
            if found is None:
                problems["service"] = [f"No service has the code {value!r}."]
                continue
            value = found
        setattr(requirement, name, value.strip() if isinstance(value, str) else value)
    return problems


def _recheck_programs(by: Any) -> None:
    """Complete the steps of running programs whose order is complete under the new rules."""
    running = (
        Run.objects.filter(subject_type="program", state=RunState.RUNNING)
        .values_list("subject_id", flat=True)
        .distinct()
    )
    for program_id in running:
        playbooks.complete_met_steps(subject_type="program", subject_id=program_id, by=by)


@transaction.atomic
def save_requirement(
    *, by: Any, requirement: DetailRequirement | None, data: dict[str, Any]
) -> DetailRequirement:
    """Add a requirement (``requirement=None``) or change the fields `data` holds.

    `service` is a service line, its code, or None (every program). Every bad field is
    named at once, and then nothing is written.
    """
    require_capability(by, Capability.MANAGE_CATALOGUE)
    requirement = requirement or DetailRequirement()
    old_key = requirement.key if requirement.pk else None
    problems = _assign(requirement, data)
    choices = _choices(data["choices"]) if "choices" in data else requirement.choices
    if requirement.kind == DetailKind.CHOICE and not choices:
        problems["choices"] = ["List the choices, separated by commas."]
    # Only a list offers choices; others keep none, so nothing stale lingers.
    requirement.choices = choices if requirement.kind == DetailKind.CHOICE else []
    key = str(requirement.key or "")
    if DetailRequirement.objects.filter(key=key).exclude(pk=requirement.pk).exists():
        problems["key"] = ["Another requirement already uses this key."]
    elif old_key and key != old_key and Program.objects.filter(details__has_key=old_key).exists():
        # Orders hold their values under the key: renaming it would orphan them.
        problems["key"] = [f"{KEY_HELD}; keep the key."]
    try:
        requirement.full_clean(exclude=list(problems))
    except ValidationError as error:
        for name, messages in errors_by_field(error).items():
            problems.setdefault(name, []).extend(messages)
    if problems:
        raise ValidationError(problems)
    save_audited(requirement, by)
    _recheck_programs(by)
    emit(ConfigurationChanged(entry=requirement, change="saved", by=by))
    return requirement


@transaction.atomic
def remove_requirement(*, by: Any, requirement: DetailRequirement) -> None:
    """Stop asking for a detail. A detail that orders already hold is kept (their values
    are filed under its key): make it optional instead."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    requirement = DetailRequirement.objects.select_for_update().get(pk=requirement.pk)
    if Program.objects.filter(details__has_key=requirement.key).exists():
        raise invalid("key", f"{KEY_HELD}: make it optional instead of removing it.")
    delete_audited(requirement, by)
    emit(ConfigurationChanged(entry=requirement, change="removed", by=by))
    _recheck_programs(by)
