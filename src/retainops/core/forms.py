"""Helpers shared by the pages' forms."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest

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


def flash_errors(request: HttpRequest, errors: dict[str, list[str]]) -> None:
    """Every message of a refusal as an error on the next page, named by its field."""
    for field, problems in errors.items():
        label = "" if field == NON_FIELD_ERRORS else f"{field}: "
        for problem in problems:
            messages.error(request, f"{label}{problem}")


def run_and_flash(request: HttpRequest, operation: Callable[[], Any], success: str) -> bool:
    """Run a one-button action of a page; say how it went on the next page.

    Returns whether it succeeded (a refusal wrote nothing: the service rolled back).
    """
    try:
        operation()
    except ValidationError as error:
        flash_errors(request, errors_by_field(error))
        return False
    messages.success(request, success)
    return True
