"""Panels of the change-request page contributed by apps above changes.

A change request's page belongs to changes, but what others know about the request
(the value at stake, say) belongs to the apps above it. Each registers a panel in its
``AppConfig.ready()``: a name, its place, the template that draws it, and a function of
(request, user) giving that template's values, read as ``panel.<name>``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RequestPanelContext = Callable[[Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class RequestPanel:
    name: str
    order: int
    template: str
    context: RequestPanelContext


@dataclass(frozen=True)
class RenderedRequestPanel:
    name: str
    template: str
    values: dict[str, Any]


_panels: dict[str, RequestPanel] = {}


def register_request_panel(panel: RequestPanel) -> None:
    """Show `panel` on every change-request page; the same name again replaces it."""
    _panels[panel.name] = panel


def request_panels_for(change: Any, user: Any) -> list[RenderedRequestPanel]:
    ordered = sorted(_panels.values(), key=lambda p: (p.order, p.name))
    return [RenderedRequestPanel(p.name, p.template, p.context(change, user)) for p in ordered]
