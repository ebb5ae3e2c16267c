"""Panels of the client page contributed by other apps.

The client page belongs to clients, but programs, change requests, processes
and messages about a client belong to the apps above it. Each such app
registers a panel in its ``AppConfig.ready()``: a name, its place on the page,
the template that draws it and a function of (client, user) giving that
template's values, read as ``panel.<name>``. The page renders the registered
panels in order after the contracts, and never imports the apps that drew them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PanelContext = Callable[[Any, Any], dict[str, Any]]


def no_values(_client: Any, _user: Any) -> dict[str, Any]:
    """For a panel whose template needs nothing beyond the page's own values."""
    return {}


@dataclass(frozen=True)
class ClientPanel:
    """A section of the client page drawn by another app."""

    name: str
    order: int
    template: str
    context: PanelContext = no_values


@dataclass(frozen=True)
class RenderedPanel:
    """A panel ready for the page: its template and the values computed for it."""

    name: str
    template: str
    values: dict[str, Any]


_panels: dict[str, ClientPanel] = {}


def register_panel(panel: ClientPanel) -> None:
    """Show `panel` on every client page; registering the same name again replaces it."""
    _panels[panel.name] = panel


def panels() -> list[ClientPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.name))


def panels_for(client: Any, user: Any) -> list[RenderedPanel]:
    """The registered panels in page order, each with its values for this client and person."""
    return [
        RenderedPanel(panel.name, panel.template, panel.context(client, user)) for panel in panels()
    ]
