"""Sections other apps add to the portfolio page (the health distribution from the health
scorecards registers here as ``health_distribution``): name, order, template and a
function of the user giving the template's values, read as ``section.<name>``."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PortfolioSection:
    name: str
    order: int
    template: str
    context: Callable[[Any], dict[str, Any]]


_sections: dict[str, PortfolioSection] = {}


def register_section(section: PortfolioSection) -> None:
    _sections[section.name] = section


def sections_for(user: Any) -> list[tuple[str, str, dict[str, Any]]]:
    ordered = sorted(_sections.values(), key=lambda s: (s.order, s.name))
    return [(s.name, s.template, s.context(user)) for s in ordered]


def has_section(name: str) -> bool:
    return name in _sections
