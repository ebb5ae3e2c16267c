"""Fixtures of the client record's tests: a clock that stands still until moved."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock stands at START; tests move it with `clock.move_to(...)`."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
