"""Saving a row so that its history says who changed it and why."""

from typing import Any

from django.db.models import Model
from django_fsm import FSMField


def save_audited(instance: Any, by: Any, reason: str = "") -> None:
    """Validate the whole row, then save it with the acting person on the history row.

    State-machine fields are left out of validation: only transitions set them,
    and django-fsm refuses the assignment that field cleaning would make.
    """
    state_fields = [f.name for f in instance._meta.fields if isinstance(f, FSMField)]
    instance.full_clean(exclude=state_fields)
    instance._history_user = by
    if reason:
        instance._change_reason = reason
    instance.save()


def delete_audited(instance: Any, by: Any) -> None:
    """Delete a row; its history keeps a 'removed' entry naming the person."""
    instance._history_user = by
    instance.delete()


def retire_audited[Row: Model](instance: Row, by: Any) -> Row:
    """Clear a catalogue row's `is_active` under a row lock, with a 'retired' history
    entry; a row already retired is returned unchanged. Call inside a transaction,
    after checking that `by` may retire it."""
    row = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if row.is_active:  # type: ignore[attr-defined]
        row.is_active = False  # type: ignore[attr-defined]
        save_audited(row, by, "retired")
    return row
