"""What messaging adds to the client page: the messages about the client."""

from typing import Any

from retainops.clients.panels import ClientPanel
from retainops.messaging.queries import can_write_to, messages_for_client

MESSAGES_ON_CLIENT_PAGE = 20


def messages(client: Any, user: Any) -> dict[str, Any]:
    # Not "messages": in a page that name is its flash messages (base.html).
    return {
        "client_messages": messages_for_client(client)[:MESSAGES_ON_CLIENT_PAGE],
        "can_write": can_write_to(user, client),
    }


PANELS = (ClientPanel("messages", 50, "messaging/_client_messages.html", messages),)
