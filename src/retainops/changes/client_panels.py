"""What change requests add to the client page: the client's requests."""

from typing import Any

from retainops.clients.panels import ClientPanel
from retainops.core.capabilities import Capability


def change_requests(_client: Any, user: Any) -> dict[str, Any]:
    return {"can_raise_changes": user.has_capability(Capability.RAISE_CHANGES)}


PANELS = (ClientPanel("change_requests", 20, "changes/_client_card.html", change_requests),)
