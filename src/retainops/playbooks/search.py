"""Open tasks in the header's search, by their title or their client's name."""

from typing import Any

from django.db.models import Q
from django.urls import reverse

from retainops.core.search import Hit, register_search
from retainops.playbooks.choices import TaskState
from retainops.playbooks.queries import visible_tasks

# Done and skipped tasks are history: the client's timeline shows them.
OPEN_STATES = (TaskState.WAITING, TaskState.OPEN)


def find_tasks(user: Any, text: str, limit: int) -> list[Hit]:
    tasks = (
        visible_tasks(user)
        .filter(state__in=OPEN_STATES)
        .filter(Q(title__icontains=text) | Q(client__name__icontains=text))
        .select_related("client", "assignee")
        .order_by("due_at", "id")[:limit]
    )
    return [
        Hit(
            t.title,
            reverse("playbooks:task", args=[t.pk]),
            " · ".join(
                part
                for part in (
                    t.client.name,
                    t.get_state_display(),
                    f"due {t.due_at:%Y-%m-%d}" if t.due_at else "",
                    str(t.assignee) if t.assignee else "",
                )
                if part
            ),
        )
        for t in tasks
    ]


def register() -> None:
    register_search("tasks", "Tasks", 50, find_tasks)
