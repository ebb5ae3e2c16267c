"""Domain events: a change announces what happened; processes listen.

`emit` runs every listener inside the caller's transaction, so a process a
change starts (a playbook run, its first messages) exists exactly when the
change does. Listeners register in their app's `ready()`; the record apps
need not know who listens.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

Listener = Callable[..., Any]
_LISTENERS: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def emit(
    event: str, *, subject_type: str, subject: Any, by: Any, anchors: dict[str, datetime]
) -> None:
    for listener in _LISTENERS:
        listener(event=event, subject_type=subject_type, subject=subject, by=by, anchors=anchors)
