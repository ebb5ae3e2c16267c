"""The cells of a data row, read as the values the models want.

Spreadsheets give numbers, dates and text in many shapes ('1,500.00', a real
date cell, '2026-02-03'); each reader here accepts those shapes and, for
anything else, records a problem on the row's cell instead of raising.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models

from retainops.clients.transfer.results import Problem


@dataclass
class Row:
    """One data row: its spreadsheet number, its cells by column, and what is wrong with it."""

    number: int
    cells: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    def text(self, column: str) -> str:
        return as_text(self.cells.get(column))

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def failed(self, column: str) -> bool:
        return any(problem.column == column for problem in self.problems)

    @property
    def bad(self) -> bool:
        return bool(self.problems)


def as_text(value: Any) -> str:
    """A cell as trimmed text, whatever type the spreadsheet gave it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def date_cell(row: Row, column: str) -> date | None:
    """A date from a real date cell or ISO text; a problem for anything else."""
    value = row.cells.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = as_text(value)
    if not text:
        return None
    for parse in (date.fromisoformat, lambda t: datetime.fromisoformat(t).date()):
        try:
            return parse(text)
        except ValueError:
            continue
    row.fail(column, f"Write the date as YYYY-MM-DD; {text!r} is not one.")
    return None


_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def decimal_cell(row: Row, column: str) -> Decimal | None:
    """An amount of zero or more; accepts '1,500.00' and a leading currency sign."""
    text = row.text(column).lstrip("$€£").replace(" ", "")
    if not text:
        return None
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        row.fail(column, f"{row.text(column)!r} is not an amount; write e.g. 1500.00.")
        return None
    if amount < 0:
        row.fail(column, "Give an amount of zero or more.")
        return None
    return amount


def months_cell(row: Row, column: str) -> int | None:
    text = row.text(column)
    if not text:
        return None
    try:
        months = Decimal(text)
    except InvalidOperation:
        months = None
    if months is None or not months.is_finite() or months != months.to_integral_value():
        row.fail(column, f"Give a whole number of months, not {text!r}.")
        return None
    if months < 1:
        row.fail(column, "A term lasts at least one month.")
        return None
    return int(months)


def choice(choices: type[models.TextChoices], value: str) -> str | None:
    """The choice whose value or label is `value`, ignoring case."""
    key = value.casefold()
    for option, label in choices.choices:
        if key in (str(option).casefold(), str(label).casefold()):
            return str(option)
    return None


def with_scheme(url: str) -> str:
    """CRM exports often hold 'acme.com'; the model wants a URL."""
    return url if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE) else f"https://{url}"
