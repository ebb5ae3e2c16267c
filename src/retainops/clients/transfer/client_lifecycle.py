"""A client's status as a row gives it, and the life-cycle steps that lead there.

No code sets a client's status directly: a new client starts onboarding, and
an import walks the same transitions a person would use on the client page.
"""

from collections import deque
from typing import cast

from django_fsm import FSMField

from retainops.clients.choices import ClientStatus
from retainops.clients.models import CLIENT_TRANSITIONS, Client
from retainops.clients.transfer.cells import Row, choice


def client_status(row: Row) -> str | None:
    """The status the row asks for, by value or label; None when the cell is blank."""
    value = row.text("status")
    if not value:
        return None
    status = choice(ClientStatus, value)
    if status is None:
        row.fail(
            "status",
            f"{value!r} is not a client status; use one of {', '.join(ClientStatus.values)}.",
        )
    return status


def transitions(row: Row, existing: Client | None, status: str | None) -> list[str]:
    """The life-cycle steps from the client's status (onboarding when new) to the row's."""
    if status is None:
        return []
    start = existing.status if existing else ClientStatus.ONBOARDING
    path = _status_path(start, status)
    if path is None:
        row.fail("status", f"A client cannot go from {start} to {status}.")
        return []
    return path


def _status_path(start: str, goal: str) -> list[str] | None:
    """The shortest walk of client transitions from one status to another."""
    status_field = cast(FSMField, Client._meta.get_field("status"))
    edges = [
        (str(t.source), str(t.target), t.name)
        for t in status_field.get_all_transitions(Client)
        if t.name in CLIENT_TRANSITIONS
    ]
    paths: dict[str, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if state == goal:
            return paths[state]
        for source, target, name in edges:
            if source == state and target not in paths:
                paths[target] = [*paths[state], name]
                queue.append(target)
    return None
