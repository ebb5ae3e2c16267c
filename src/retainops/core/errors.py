"""Turning validation failures into one shape for pages and the API."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def errors_by_field(error: ValidationError) -> dict[str, list[str]]:
    """Every message of a ValidationError keyed by field ('__all__' for the whole)."""
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in error.error_dict.items()
        }
    return {NON_FIELD_ERRORS: [str(m) for m in error.messages]}


def invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})
