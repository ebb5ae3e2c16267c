"""What a message's `cause` reads as on the pages.

The cause is data: processes find their own messages by it ("program 12: ...",
"playbook onboarding: introduction"), so it keeps the identifiers it is written
with. People read it through `cause_words`, where the features above messaging
register how their causes read (a playbook's cause names its playbook and step by
their keys; the outbox shows their name and title).
"""

from collections.abc import Callable
from typing import Any

CauseWords = Callable[[Any], str | None]

_DESCRIBERS: list[CauseWords] = []


def register_cause_words(describe: CauseWords) -> None:
    """`describe(message)` returns the cause in words, or None when it is not its own."""
    if describe not in _DESCRIBERS:
        _DESCRIBERS.append(describe)


def cause_words(message: Any) -> str:
    for describe in _DESCRIBERS:
        words = describe(message)
        if words:
            return words
    return str(message.cause)
