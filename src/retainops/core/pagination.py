"""Page numbers: the API's (ninja's page-number pagination, with bounds) and the pages'.

Ninja leaves `page` and `page_size` unbounded above; a page number beyond any
database's offset then fails inside the query (a 500 on SQLite). Bounded here,
such a request answers 422 naming the parameter.
"""

from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import Http404
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500


class Pages(PageNumberPagination):
    """Page-number pagination whose `page` and `page_size` are bounded."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


def page_or_404(object_list: Any, number: str | None, per_page: int | None = None) -> Page:
    """The page of a list page's `?page=` (page 1 when absent), or a 404 that says how many
    pages there are: a number past the end is a link that no longer holds, and showing
    the last page instead would pass it off as the page asked for."""
    paginator = Paginator(object_list, per_page or settings.PAGE_SIZE)
    if number in (None, ""):
        return paginator.page(1)
    try:
        return paginator.page(number)
    except (PageNotAnInteger, EmptyPage):
        pages = paginator.num_pages
        raise Http404(
            f"No page {number}: there {'is' if pages == 1 else 'are'} {pages} "
            f"page{'' if pages == 1 else 's'}."
        ) from None
