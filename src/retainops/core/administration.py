"""The sections of the administration home page.

Each app owns the pages that configure it (the catalogue in clients, templates
and lists in messaging...) and registers a section for them in its
``AppConfig.ready()``: a title, the URL name of its page, the capability that
opens it, and a count of what is on record. An app may also attach a card to
another app's section (a follow-up), shown right after it to the same people,
such as what each service's purchase order needs beside the service catalogue.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from retainops.core.capabilities import Capability


@dataclass(frozen=True)
class FollowUp:
    """A card shown after a section, to whoever sees that section."""

    title: str
    url_name: str
    note: str


@dataclass(frozen=True)
class AdminSection:
    """One card of the administration home page, and the page it opens."""

    key: str
    title: str
    url_name: str
    capability: Capability
    count: Callable[[], int]
    order: int
    follow_ups: list[FollowUp] = field(default_factory=list, compare=False)


_sections: dict[str, AdminSection] = {}


def register_section(section: AdminSection) -> None:
    """Add a section to the home page; registering the same key again replaces it."""
    _sections[section.key] = section


def register_follow_up(section_key: str, follow_up: FollowUp) -> None:
    """Show `follow_up` right after the section `section_key` (which must be registered)."""
    section = _sections.get(section_key)
    if section is None:
        raise LookupError(f"No administration section {section_key!r} to follow.")
    if follow_up not in section.follow_ups:
        section.follow_ups.append(follow_up)


def sections() -> list[AdminSection]:
    """Every registered section, in page order."""
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))
