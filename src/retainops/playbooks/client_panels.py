"""What playbooks add to the client page: its processes and its timeline."""

from typing import Any

from retainops.clients.panels import ClientPanel
from retainops.core.capabilities import Capability
from retainops.playbooks.queries import client_timeline, runs_for_client

# How much of the client's timeline its page shows; the timeline page shows the rest.
TIMELINE_ON_CLIENT_PAGE = 30
RUNS_ON_CLIENT_PAGE = 20


def processes(client: Any, user: Any) -> dict[str, Any]:
    return {
        "runs": runs_for_client(client)[:RUNS_ON_CLIENT_PAGE],
        "can_start_runs": user.has_capability(Capability.RUN_PLAYBOOKS),
    }


def timeline(client: Any, _user: Any) -> dict[str, Any]:
    return {"timeline": client_timeline(client, limit=TIMELINE_ON_CLIENT_PAGE)}


PANELS = (
    ClientPanel("processes", 30, "playbooks/_client_processes.html", processes),
    ClientPanel("timeline", 40, "playbooks/_client_timeline.html", timeline),
)
