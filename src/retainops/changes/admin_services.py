"""Configuring change requests: the reasons clients give, and the approval routes that
pick a playbook per business unit and kind.

Kept apart from services.py, which changes requests: these operations change
configuration, for those who manage the catalogue (reasons) or playbooks (routes).
"""

from typing import Any

from django.db import transaction

from retainops.changes.chains import EVERY_KIND, chain_problems, refusal
from retainops.changes.models import ApprovalRoute, ChangeReason
from retainops.core.access import require_capability
from retainops.core.audit import delete_audited, retire_audited, save_audited
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.events import ConfigurationChanged, emit

REASON_FIELDS = ("code", "label", "is_active")
ROUTE_FIELDS = ("business_unit", "kind", "playbook")
SUBJECT = "change_request"


def _assign(row: Any, data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in data:
            value = data[name]
            setattr(row, name, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def save_reason(*, by: Any, reason: ChangeReason | None, data: dict[str, Any]) -> ChangeReason:
    """Add a reason (``reason=None``) or change one; a retired reason is kept for the
    requests that name it, and is no longer offered."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    reason = reason or ChangeReason()
    _assign(reason, data, REASON_FIELDS)
    if ChangeReason.objects.filter(code=reason.code).exclude(pk=reason.pk).exists():
        raise invalid("code", "Another reason already uses this code.")
    save_audited(reason, by)
    emit(ConfigurationChanged(entry=reason, change="saved", by=by))
    return reason


@transaction.atomic
def retire_reason(*, by: Any, reason: ChangeReason) -> ChangeReason:
    """No longer offer a reason; the requests that give it keep it."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    entry = retire_audited(reason, by)
    emit(ConfigurationChanged(entry=entry, change="retired", by=by))
    return entry


@transaction.atomic
def save_route(*, by: Any, route: ApprovalRoute | None, data: dict[str, Any]) -> ApprovalRoute:
    """Add a route (``route=None``) or change one: which playbook approves a kind of
    request in a business unit (empty: every unit, every kind).

    The playbook must carry the requests it gets through after approval (announce,
    operations lead, accounting, the effective date, and offboarding when it gets
    cancellations: see chains.py); one that lacks a step is refused, naming it."""
    require_capability(by, Capability.MANAGE_PLAYBOOKS)
    route = route or ApprovalRoute()
    _assign(route, data, ROUTE_FIELDS)
    route.kind = route.kind or ""
    if route.playbook_id and route.playbook.subject != SUBJECT:
        raise invalid("playbook", "Choose a playbook that runs on change requests.")
    if route.playbook_id:
        problems = chain_problems(route.playbook, [route.kind] if route.kind else EVERY_KIND)
        if problems:
            raise invalid("playbook", refusal(route.playbook, problems))
    same = ApprovalRoute.objects.filter(
        business_unit_id=route.business_unit_id, kind=route.kind
    ).exclude(pk=route.pk)
    if same.exists():
        raise invalid("kind", "A route for this unit and kind exists already: change that one.")
    save_audited(route, by)
    emit(ConfigurationChanged(entry=route, change="saved", by=by))
    return route


@transaction.atomic
def delete_route(*, by: Any, route: ApprovalRoute) -> None:
    """Remove a route: requests submitted from then on go by the next most specific route,
    or the shipped playbook; runs already started keep theirs."""
    require_capability(by, Capability.MANAGE_PLAYBOOKS)
    delete_audited(route, by)
    emit(ConfigurationChanged(entry=route, change="removed", by=by))
