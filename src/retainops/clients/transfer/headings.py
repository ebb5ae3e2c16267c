"""The header row: which position holds each column, and whether the needed ones are there.

Headings are matched ignoring case and punctuation, first against our own
column names, then against the headings other systems use (columns.ALIASES),
so that a CRM export can be imported as it is.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from retainops.clients.transfer.cells import as_text
from retainops.clients.transfer.columns import ALIASES, COLUMNS, REQUIRED_COLUMNS
from retainops.clients.transfer.files import FileProblem
from retainops.clients.transfer.lookups import default_unit


def normalise(heading: Any) -> str:
    """'Account Name', 'account_name' and 'ACCOUNT-NAME' all become 'account name'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", as_text(heading).casefold()).split())


def map_columns(header: Sequence[Any], kind: str) -> tuple[dict[str, int], list[str]]:
    """Which position holds each column; our own names win over other systems' headings."""
    exact = {normalise(column): column for column in COLUMNS[kind]}
    aliases = {
        normalise(alias): column for column, names in ALIASES[kind].items() for alias in names
    }
    positions: dict[str, int] = {}
    for lookup in (exact, aliases):
        for index, heading in enumerate(header):
            column = lookup.get(normalise(heading))
            if column and column not in positions and index not in positions.values():
                positions[column] = index
    ignored = [
        as_text(heading)
        for index, heading in enumerate(header)
        if as_text(heading) and index not in positions.values()
    ]
    return positions, ignored


def check_required_columns(columns: Mapping[str, int], kind: str, by: Any) -> None:
    """The file must have the columns every row needs; the unit may be left out only by
    someone who works in one unit (the rows go there)."""
    required = list(REQUIRED_COLUMNS[kind])
    if kind == "clients" and default_unit(by) is None:
        required.append("business_unit")
    for column in required:
        if column not in columns:
            accepted = ", ".join((column, *ALIASES[kind].get(column, ())))
            raise FileProblem(
                f"The file has no {column} column (headings accepted: {accepted}).", column
            )
