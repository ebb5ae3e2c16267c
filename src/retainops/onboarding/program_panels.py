"""Panels of the program page contributed by the apps above onboarding.

An app registers a panel in its ``AppConfig.ready()``: a name, its place, the
template that draws it and a function of (program, user) giving its values, read
as ``panel.values``. The program page draws them after its own sections.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from retainops.clients.panels import RenderedPanel


@dataclass(frozen=True)
class ProgramPanel:
    name: str
    order: int
    template: str
    context: Callable[[Any, Any], dict[str, Any]]


_panels: dict[str, ProgramPanel] = {}


def register_program_panel(panel: ProgramPanel) -> None:
    """Show `panel` on every program page; the same name again replaces it."""
    _panels[panel.name] = panel


def program_panels_for(program: Any, user: Any) -> list[RenderedPanel]:
    ordered = sorted(_panels.values(), key=lambda p: (p.order, p.name))
    return [RenderedPanel(p.name, p.template, p.context(program, user)) for p in ordered]
