"""Helpers shared by the pages' forms."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from retainops.core.errors import errors_by_field


def attempt(form: forms.BaseForm, operation: Callable[[], Any]) -> Any | None:
    """Run a service call; put its validation errors on the form instead of raising.

    Returns the operation's result, or None when it was refused as invalid
    (the service's transaction has rolled back, so nothing was written).
    """
    try:
        return operation()
    except ValidationError as error:
        for field, messages in errors_by_field(error).items():
            target = field if field in form.fields else None
            for message in messages:
                if target is None and field != NON_FIELD_ERRORS:
                    message = f"{field}: {message}"
                form.add_error(target, message)
        return None
