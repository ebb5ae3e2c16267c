"""Navigation badges: small counts beside the links of every page.

The navigation is drawn by the base layout, but what a badge counts belongs to
the app that owns the page it links to. Each app registers a named badge
function of the signed-in person in its ``AppConfig.ready()``; the context
processor hands the template one lazy value per badge, so a badge costs its
queries only on pages that draw the navigation.
"""

from collections.abc import Callable
from typing import Any

from django.utils.functional import SimpleLazyObject

BadgeFunction = Callable[[Any], Any]

_badges: dict[str, BadgeFunction] = {}


def register_badge(name: str, count: BadgeFunction) -> None:
    """Offer `count(user)` to the navigation as ``badges.<name>``; a name is taken once."""
    if _badges.get(name, count) is not count:
        raise ValueError(f"A navigation badge named {name!r} is already registered.")
    _badges[name] = count


def badges_for(user: Any) -> dict[str, Any]:
    """Every registered badge for this person, each computed on first use."""
    return {name: _lazy(count, user) for name, count in _badges.items()}


def _lazy(count: BadgeFunction, user: Any) -> SimpleLazyObject:
    return SimpleLazyObject(lambda: count(user))
