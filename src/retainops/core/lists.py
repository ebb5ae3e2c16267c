"""What the lists share: the status counts as links that filter.

A list page counts its rows by status under its other filters; each count is a link
that sets the status and keeps every other filter, so a person narrows the list
without opening the filter form.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import QueryDict


@dataclass(frozen=True)
class StatusLink:
    """One status of a list with how many rows hold it, as a link to the filtered list."""

    value: str  # "" is every status
    label: str
    count: int
    query: str  # the page's query string with this status set (and no page number)
    current: bool


def status_links(
    query: QueryDict,
    choices: Iterable[tuple[str, str]],
    counts: dict[str, int],
    *,
    param: str = "status",
) -> list[StatusLink]:
    """The "All" link, then one link per status choice, each keeping the other filters."""
    chosen = query.get(param, "")
    links = [_link(query, param, "", "All", sum(counts.values()), chosen)]
    for value, label in choices:
        links.append(_link(query, param, value, str(label), counts.get(value, 0), chosen))
    return links


def _link(query: QueryDict, param: str, value: str, label: str, n: int, chosen: str) -> StatusLink:
    kept = query.copy()
    kept.pop("page", None)
    kept.pop(param, None)
    if value:
        kept[param] = value
    return StatusLink(value, label, n, kept.urlencode(), current=value == chosen)
