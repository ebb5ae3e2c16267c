"""Turning validation failures into one shape for pages and the API."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django_fsm import FSMField


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


def field_path(parts: list[Any]) -> str:
    """A field's name as answers spell it: ["lines", 0, "service"] -> "lines[0].service"."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or NON_FIELD_ERRORS


class Problems:
    """Every problem found with one request, by field path, so one answer names them all.

    Each layer adds what it finds (the body's schema, unknown codes, the
    model's own rules); `raise_if_any` then refuses with all of them before
    anything is written.
    """

    def __init__(self, found: dict[str, list[str]] | None = None) -> None:
        self.by_field: dict[str, list[str]] = {}
        for field, messages in (found or {}).items():
            for message in messages:
                self.add(field, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def add(self, field: str, message: str) -> None:
        known = self.by_field.setdefault(field, [])
        if message not in known:
            known.append(message)

    def absorb(self, error: ValidationError, prefix: str = "") -> None:
        """Take in a refusal's messages, under `prefix` (e.g. "lines[0]") when given."""
        for field, messages in errors_by_field(error).items():
            for message in messages:
                self.add(_under(prefix, field), message)

    def named(self, prefix: str = "") -> set[str]:
        """The fields directly under `prefix` that already have a problem."""
        start = f"{prefix}." if prefix else ""
        return {
            field[len(start) :]
            for field in self.by_field
            if field.startswith(start) and "." not in field[len(start) :]
        }

    def check(self, instance: Any, prefix: str = "", exclude: tuple[str, ...] = ()) -> None:
        """Add the model's own complaints about `instance` (fields already named are skipped:
        a value refused earlier never reached the instance, so the model would only say
        it is missing)."""
        states = [f.name for f in instance._meta.fields if isinstance(f, FSMField)]
        try:
            instance.full_clean(exclude=[*states, *exclude, *self.named(prefix)])
        except ValidationError as error:
            self.absorb(error, prefix)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _under(prefix: str, field: str) -> str:
    if not prefix:
        return field
    return prefix if field == NON_FIELD_ERRORS else f"{prefix}.{field}"
