"""The API's page numbers: ninja's page-number pagination, with bounds.

Ninja leaves `page` and `page_size` unbounded above; a page number beyond any
database's offset then fails inside the query (a 500 on SQLite). Bounded here,
such a request answers 422 naming the parameter.
"""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500


class Pages(PageNumberPagination):
    """Page-number pagination whose `page` and `page_size` are bounded."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)
