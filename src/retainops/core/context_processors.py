"""Values every page's navigation needs; the apps' badges come from ``core.navigation``."""

from typing import Any

from django.http import HttpRequest

from retainops.core.capabilities import Capability
from retainops.core.navigation import badges_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_administer": any(
            user.has_capability(c)
            for c in (
                Capability.MANAGE_CATALOGUE,
                Capability.MANAGE_USERS,
                Capability.MANAGE_UNITS,
                Capability.MANAGE_MESSAGES,
            )
        ),
        "can_import": user.has_capability(Capability.IMPORT_DATA),
        "can_create_client": user.has_capability(Capability.CREATE_CLIENT),
        "can_manage_messages": user.has_capability(Capability.MANAGE_MESSAGES),
        # Each counted only when a page shows the navigation (a partial for htmx does not).
        "badges": badges_for(user),
    }
