"""The client's timeline: one row per thing a process did, for people to read."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from retainops.clients.models import Client
from retainops.playbooks.choices import EventKind
from retainops.playbooks.models import Run, Task, TimelineEvent


def record(
    client: Client | int,
    kind: EventKind,
    summary: str,
    *,
    actor: Any = None,
    run: Run | None = None,
    task: Task | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    client_id = client if isinstance(client, int) else client.pk
    return TimelineEvent.objects.create(
        client_id=client_id,
        kind=kind,
        at=at or timezone.now(),
        summary=summary[:500],
        actor=actor if getattr(actor, "pk", None) else None,
        run=run,
        task=task,
    )
