"""Writing what checking planned, through the services, and turning refusals into problems.

Each client or contract is applied in its own savepoint, inside the one
transaction of the import, so that every refusal is reported before the whole
import is rolled back.
"""

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django_fsm import ConcurrentTransition

from retainops.clients.transfer.results import Problem
from retainops.core.errors import errors_by_field

# Where a service's complaint about a field belongs: field name -> (row, column).
Locate = Callable[[str], tuple[int, str]]


class Plan(Protocol):
    """What checking decided to do with one client or contract."""

    def outcome(self) -> str: ...

    def apply(self, by: Any) -> None: ...


def write_plans(plans: Sequence[Plan], by: Any) -> list[Problem]:
    """Apply every plan, each in a savepoint; collect what the services refused."""
    problems: list[Problem] = []
    for plan in plans:
        try:
            with transaction.atomic():
                plan.apply(by)
        except Refused as refused:
            problems.extend(refused.problems)
    return problems


class Refused(Exception):
    """A service refused part of a row while writing."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def attempt(operation: Callable[[], Any], locate: Locate) -> Any:
    """Run a service call; turn a refusal into Problems placed by `locate` (field -> cell)."""
    try:
        return operation()
    except ValidationError as error:
        problems = [
            Problem(*locate(name), message)
            for name, messages in errors_by_field(error).items()
            for message in messages
        ]
        raise Refused(problems) from None
    except PermissionDenied as error:
        message = str(error) or "You are not allowed to do this."
        raise Refused([Problem(*locate(NON_FIELD_ERRORS), message)]) from None
    except (ConcurrentTransition, IntegrityError) as error:
        message = f"Someone changed this record meanwhile; try again ({error})."
        raise Refused([Problem(*locate(NON_FIELD_ERRORS), message)]) from None


def at(row: int, column: str | None = None) -> Locate:
    """Place a service's complaint on the row: on `column`, else on the field it names."""
    return lambda name: (row, column or ("" if name == NON_FIELD_ERRORS else name))
