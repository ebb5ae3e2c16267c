"""Saving a row so that its history says who changed it and why."""

from typing import Any

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
