"""Values every page's navigation needs."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from retainops.core.capabilities import Capability
from retainops.playbooks.queries import work_counts


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
        # Counted only when a page shows the navigation (a partial for htmx does not).
        "work_counts": SimpleLazyObject(lambda: work_counts(user)),
    }
