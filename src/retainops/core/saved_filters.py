"""Saved filters: the list pages that offer them, and how a query string is cleaned.

Each list page registers its key, its URL name and the filter parameters it reads
(in its app's ready()); a saved filter keeps only those, so the link it makes opens
the page as the person left it and carries nothing else."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse

if TYPE_CHECKING:
    from retainops.core.models import SavedFilter

MAX_QUERY = 1000
MAX_NAME = 80


@dataclass(frozen=True)
class FilterPage:
    """A list page whose filters people may save."""

    key: str
    title: str
    url_name: str
    # The filter parameters; a callable where other apps add filters later (the client
    # list's columns), read each time.
    params: tuple[str, ...] | Callable[[], tuple[str, ...]]

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def known(self) -> tuple[str, ...]:
        return self.params() if callable(self.params) else self.params


_PAGES: dict[str, FilterPage] = {}


def register_filter_page(page: FilterPage) -> None:
    _PAGES[page.key] = page


def filter_page(key: str) -> FilterPage | None:
    return _PAGES.get(key)


def filter_pages() -> list[FilterPage]:
    return sorted(_PAGES.values(), key=lambda p: p.key)


def clean_query(page: FilterPage, query: str) -> str:
    """The query string with only the page's filters, empty values and page numbers dropped."""
    given = QueryDict(query.lstrip("?"))
    kept = QueryDict(mutable=True)
    for name in page.known():
        values = [v.strip() for v in given.getlist(name) if v.strip()]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def saved_filters_of(user: Any) -> "QuerySet[SavedFilter]":
    """The person's own saved filters: the only ones they see or delete."""
    from retainops.core.models import SavedFilter

    if not getattr(user, "is_authenticated", False):
        return SavedFilter.objects.none()
    return SavedFilter.objects.filter(user=user)
