"""Columns of the client list contributed by other apps.

The list belongs to clients, but a health badge (say) belongs to an app above it.
Such an app registers a column in its ``AppConfig.ready()``: a name (the query
parameter of its filter and the key of its sort), a heading, the template of its
cell (which reads ``client``), a function annotating the list's queryset with what
the cell needs, the annotation to sort by, and optionally filter choices with the
function applying one. The list never imports the apps that drew its columns.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet

Annotate = Callable[[QuerySet[Any]], QuerySet[Any]]
ApplyFilter = Callable[[QuerySet[Any], str], QuerySet[Any]]


@dataclass(frozen=True)
class ListColumn:
    """A column of the client list drawn by another app."""

    name: str
    heading: str
    order: int
    cell_template: str
    annotate: Annotate
    sort_by: str = ""
    filter_label: str = ""
    filter_choices: tuple[tuple[str, str], ...] = ()
    apply_filter: ApplyFilter | None = None

    def sorts(self) -> dict[str, tuple[Any, ...]]:
        """This column's sort keys: `name` ascending, `-name` descending, blanks last."""
        if not self.sort_by:
            return {}
        field = F(self.sort_by)
        return {
            self.name: (field.asc(nulls_last=True), "name", "id"),
            f"-{self.name}": (field.desc(nulls_last=True), "name", "id"),
        }


_columns: dict[str, ListColumn] = {}


def register_list_column(column: ListColumn) -> None:
    """Show `column` on the client list; registering the same name again replaces it."""
    _columns[column.name] = column


def list_columns() -> list[ListColumn]:
    return sorted(_columns.values(), key=lambda c: (c.order, c.name))


def column_sorts() -> dict[str, tuple[Any, ...]]:
    found: dict[str, tuple[Any, ...]] = {}
    for column in list_columns():
        found.update(column.sorts())
    return found
