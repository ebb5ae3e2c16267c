"""Compare-and-set moves along the transitions a model declares with django-fsm-2.

A transition is declared once, on the model, with `@transition(field=..., source=...,
target=..., conditions=[...], permission=...)`. Calling the method moves the
instance in memory and a later `save()` writes it; that suits rows one person edits
under a row lock. Rows that several people or workers move at the same moment
(tasks, runs, outbox messages) are moved here instead, by one conditional UPDATE:

    UPDATE ... SET state = <target>, <fields> WHERE pk = ... AND state IN (<sources>) [AND guards]

Of two movers of one row only the first UPDATE matches it; the second moves nothing
and is told so. Steps of `move`:
  1. Read the transition's sources, target, conditions and permission from
     django-fsm-2's metadata on the model (the declaration is the only table).
  2. When a person acts (`by`), refuse unless the declared permission lets them.
  3. Check the declared conditions on the instance; one that fails moves nothing.
  4. Write the UPDATE, guarded by the sources and any extra filters; on success,
     give the instance its new state and fields.

The transition's method body is not run by a move: transitions applied this way
carry their effects in the fields written with them.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django_fsm import ANY_OTHER_STATE, ANY_STATE, FSMFieldMixin


@dataclass(frozen=True)
class Declared:
    """One transition as the model declares it: where it may start, where it ends,
    what must hold of the row, and who may make it."""

    model: type[Model]
    name: str
    field: FSMFieldMixin
    sources: tuple[Any, ...]
    target: Any
    conditions: tuple[Callable[[Any], bool], ...]
    permission: Any

    def permits(self, instance: Model, by: Any) -> bool:
        """Whether the person may make this move on this row (no permission: anyone)."""
        if not self.permission:
            return True
        if callable(self.permission):
            return bool(self.permission(instance, by))
        return bool(by.has_perm(self.permission, instance) or by.has_perm(self.permission))

    def conditions_met(self, instance: Model) -> bool:
        return all(condition(instance) for condition in self.conditions)

    def source_filter(self) -> dict[str, Any]:
        return {f"{self.field.name}__in": self.sources}


@cache
def declared(model: type[Model], name: str) -> Declared:
    """The transition `name` declared on `model`; ImproperlyConfigured if there is none,
    or if it cannot be written as one UPDATE (a wildcard source, several targets)."""
    meta = getattr(getattr(model, name, None), "_django_fsm", None)
    if meta is None:
        raise ImproperlyConfigured(f"{model.__name__}.{name} is not a declared transition.")
    edges = list(meta.transitions.values())
    targets = {edge.target for edge in edges}
    sources = tuple(edge.source for edge in edges)
    if len(targets) != 1 or {ANY_STATE, ANY_OTHER_STATE} & set(sources):
        raise ImproperlyConfigured(
            f"{model.__name__}.{name} needs named sources and one target to be moved "
            "by compare-and-set."
        )
    first = edges[0]
    return Declared(
        model=model,
        name=name,
        field=meta.field,
        sources=sources,
        target=first.target,
        conditions=tuple(first.conditions),
        permission=first.permission,
    )


def move(
    instance: Model,
    name: str,
    *,
    by: Any = None,
    guard: Mapping[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Move one row along transition `name` if it is still in one of its sources (and
    matches `guard`, extra filters such as a claim's owner), writing `fields` with it.

    `by` is the person acting, checked against the declared permission (PermissionDenied);
    None when the system acts on its own (the engine, the worker). Returns whether the
    row moved; a failed condition or a row already elsewhere moves nothing.
    """
    step = declared(type(instance), name)
    if by is not None and not step.permits(instance, by):
        what = type(instance)._meta.verbose_name
        raise PermissionDenied(f"You may not {name.replace('_', ' ')} this {what}.")
    if not step.conditions_met(instance):
        return False
    rows = type(instance)._base_manager.filter(pk=instance.pk, **dict(guard or {}))
    if not _update(rows, step, fields):
        return False
    _settle(instance, step, fields)
    return True


def move_rows(rows: QuerySet[Any], name: str, **fields: Any) -> int:
    """Move every row of `rows` still in one of the transition's sources; how many moved.

    For the system's batch moves (the outbox worker's claims): a transition with a
    condition or a permission needs a row to judge, so it is moved with `move`.
    """
    model: type[Model] = rows.model
    step = declared(model, name)
    if step.conditions or step.permission:
        raise ImproperlyConfigured(
            f"{step.model.__name__}.{name} has a condition or a permission: move it row by row."
        )
    return _update(rows, step, fields)


def _update(rows: QuerySet[Any], step: Declared, fields: Mapping[str, Any]) -> int:
    if step.field.name in fields:
        raise ValueError(f"the transition sets {step.field.name}; do not pass it as a field")
    return rows.filter(**step.source_filter()).update(**{step.field.name: step.target}, **fields)


def _settle(instance: Model, step: Declared, fields: Mapping[str, Any]) -> None:
    """Give the moved instance what the UPDATE wrote: values as given, expressions
    (F("attempts") + 1) as the database computed them."""
    step.field.set_state(instance, step.target)
    computed = [name for name, value in fields.items() if hasattr(value, "resolve_expression")]
    for field_name, value in fields.items():
        if field_name not in computed:
            setattr(instance, field_name, value)
    if computed:
        instance.refresh_from_db(fields=computed)
    # A model that also guards its saves (ConcurrentTransitionMixin) must take the
    # new state as the one it read, or its next save would look like a lost race.
    update_initial_state = getattr(instance, "_update_initial_state", None)
    if update_initial_state is not None:
        update_initial_state()
