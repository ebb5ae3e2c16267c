"""Who may move a task or a run: the permissions its transitions declare.

These read only the row and the person (roles, units, teams, the step's own lists),
so the models can name them in `@transition(permission=...)` and the services and
pages ask the same questions. Each takes `(user, row)`, except the `*_permission`
adapters, which take `(row, user)` as django-fsm-2 calls them.
"""

from typing import Any

from retainops.core.access import sees_all_units
from retainops.core.capabilities import Capability
from retainops.playbooks.choices import StepKind


def works_in_unit(user: Any, unit_id: int) -> bool:
    return sees_all_units(user) or unit_id in user.unit_ids()


def in_queue(user: Any, task: Any) -> bool:
    if task.queue_team_id:
        return bool(user.teams.filter(pk=task.queue_team_id).exists())
    if task.queue_role:
        return works_in_unit(user, task.business_unit_id) and task.queue_role in user.role_codes()
    return False


def is_owner(user: Any, task: Any) -> bool:
    if task.assignee_id:
        return bool(task.assignee_id == user.pk)
    return in_queue(user, task)


def may_override(user: Any, task: Any) -> bool:
    """A step's `override_by` roles may complete it with checks unmet; without that list,
    supervisors may."""
    allowed = task.step.override_by
    if allowed:
        return bool(set(allowed) & user.role_codes()) or user.is_superuser
    return bool(user.has_capability(Capability.SUPERVISE_TASKS))


def may_skip(user: Any, task: Any) -> bool:
    """A step's `skippable_by` roles may skip it; without that list, supervisors may.
    An approval is never skipped: the steps after it would open as if it were approved.
    A step that requires checks is skipped only by those who may complete it with the
    checks unmet: skipping it would pass the gate all the same."""
    if task.kind == StepKind.APPROVAL:
        return False
    if task.step.requires and not may_override(user, task):
        return False
    allowed = task.step.skippable_by
    if allowed:
        return bool(set(allowed) & user.role_codes()) or user.is_superuser
    return bool(user.has_capability(Capability.SUPERVISE_TASKS))


def manages_runs(user: Any, unit_id: int) -> bool:
    """Starts, moves and cancels runs in the unit."""
    return bool(user.has_capability(Capability.RUN_PLAYBOOKS)) and works_in_unit(user, unit_id)


# As django-fsm-2 calls a transition's permission: (row, person).


def close_permission(task: Any, user: Any) -> bool:
    """Completing a task (or deciding an approval): its owner, a member of its queue, or a
    supervisor, in the client's unit. Approvals add their own rules (never the asker,
    once per chain) in the service that decides them."""
    if not works_in_unit(user, task.business_unit_id):
        return False
    return is_owner(user, task) or bool(user.has_capability(Capability.SUPERVISE_TASKS))


def skip_permission(task: Any, user: Any) -> bool:
    return works_in_unit(user, task.business_unit_id) and may_skip(user, task)


def run_manager_permission(row: Any, user: Any) -> bool:
    """Cancelling a run and the steps it had left: whoever manages runs in its unit."""
    return manages_runs(user, row.business_unit_id)
