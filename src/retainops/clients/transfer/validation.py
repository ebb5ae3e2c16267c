"""Validating what a row would write as the models will, before anything is written.

Checking builds unsaved copies of the records as the row would leave them and
runs the models' own validation on them, so a dry run reports what writing
would refuse.
"""

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django_fsm import FSMField

from retainops.clients.transfer.cells import Row
from retainops.core.errors import errors_by_field


def model_problems(
    row: Row, instance: models.Model, rename: Mapping[str, str], exclude: Sequence[str] = ()
) -> None:
    """Validate an unsaved instance as the services will; report on columns not yet reported."""
    try:
        instance.full_clean(exclude=[*exclude, *state_fields(instance)])
    except ValidationError as error:
        for name, messages in errors_by_field(error).items():
            column = rename.get(name, "" if name == NON_FIELD_ERRORS else name)
            if not row.failed(column):
                for message in messages:
                    row.fail(column, message)


def state_fields(instance: models.Model) -> list[str]:
    """Status fields, which only transitions set (and which field cleaning would assign)."""
    return [f.name for f in instance._meta.fields if isinstance(f, FSMField)]


def changed(instance: models.Model, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from what the instance holds."""
    return {name: value for name, value in values.items() if getattr(instance, name) != value}


def copy_with(instance: models.Model, values: Mapping[str, Any]) -> models.Model:
    """An unsaved copy of the instance with the values set, to validate."""
    copied = copy.copy(instance)
    for name, value in values.items():
        setattr(copied, name, value)
    return copied
