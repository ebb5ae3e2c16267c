"""Which actions the pages offer a person on a change request.

The services decide when the action is taken; these predicates only decide what a
page shows, and mirror the services' checks so that a button is shown exactly to
those the service would let through. `may_mark_removed` and `may_verify` repeat the
checks of `services.mark_removed` and `services.verify_removal`: change them together.
"""

from typing import Any

from django_fsm import can_proceed

from retainops.changes import services
from retainops.changes.choices import ChangeStatus, RemovalState
from retainops.changes.models import ChangeRequest, Removal
from retainops.core.access import sees_all_units
from retainops.core.capabilities import Capability
from retainops.core.choices import RoleCode

EDITABLE = (ChangeStatus.DRAFT, ChangeStatus.RETURNED)


def _in_unit(user: Any, request: ChangeRequest) -> bool:
    return sees_all_units(user) or request.client.business_unit_id in user.unit_ids()


def may_raise(user: Any) -> bool:
    """Raise, change, submit or withdraw requests at all (the capability)."""
    return bool(user.is_authenticated and user.has_capability(Capability.RAISE_CHANGES))


def may_raise_for(user: Any, request: ChangeRequest) -> bool:
    return may_raise(user) and _in_unit(user, request)


def may_edit(user: Any, request: ChangeRequest) -> bool:
    return may_raise_for(user, request) and request.status in EDITABLE


def may_submit(user: Any, request: ChangeRequest) -> bool:
    """The Submit button: the service's rule of who submits, on a request that can be."""
    return (
        may_raise_for(user, request)
        and can_proceed(request.submit)
        and services.may_submit(user, request)
    )


def may_withdraw(user: Any, request: ChangeRequest) -> bool:
    return may_raise_for(user, request) and request.takes_withdrawal()


def may_record_save(user: Any, request: ChangeRequest) -> bool:
    """Not once the request is approved: a call then would only inflate the save rate."""
    return may_raise_for(user, request) and request.takes_save_calls()


def may_hand_over(user: Any, request: ChangeRequest) -> bool:
    """Only the retention team hands a request to an account manager, before submission."""
    return (
        may_raise_for(user, request)
        and RoleCode.RETENTION_TEAM in user.role_codes()
        and request.takes_hand_over()
    )


def may_mark_removed(user: Any, removal: Removal | None = None) -> bool:
    """The partner team (or a department manager, or a supervisor) reports a removal."""
    if removal is not None and (
        removal.state != RemovalState.PENDING or not _in_unit(user, removal.request)
    ):
        return False
    roles = {RoleCode.PARTNER_TEAM, RoleCode.DEPARTMENT_MANAGER} & user.role_codes()
    return bool(roles) or bool(user.has_capability(Capability.SUPERVISE_TASKS))


def may_verify(user: Any, removal: Removal | None = None) -> bool:
    """The department manager verifies a removal someone else reported."""
    if removal is not None and (
        removal.state != RemovalState.REMOVED
        or not _in_unit(user, removal.request)
        or removal.removed_by_id == user.pk
    ):
        return False
    return RoleCode.DEPARTMENT_MANAGER in user.role_codes() or bool(user.is_superuser)
