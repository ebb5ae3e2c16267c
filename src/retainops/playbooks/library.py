"""The playbooks RetainOps ships (YAML files in library/), and loading them."""

from pathlib import Path
from typing import Any

from django.db import transaction

from retainops.playbooks.definition import parse_definition
from retainops.playbooks.models import Playbook, PlaybookVersion
from retainops.playbooks.services import publish_playbook

LIBRARY = Path(__file__).resolve().parent / "library"


def shipped_sources() -> dict[str, str]:
    """File name -> YAML text of every shipped playbook."""
    return {path.name: path.read_text() for path in sorted(LIBRARY.glob("*.yaml"))}


@transaction.atomic
def load_source(*, by: Any, source: str) -> tuple[PlaybookVersion, bool]:
    """Publish a playbook's YAML unless its current version already has exactly this text.

    Returns the current version and whether it was published now, so loading
    the same file twice adds no version.
    """
    key = parse_definition(source).key
    playbook = Playbook.objects.filter(key=key).select_related("current").first()
    current = playbook.current if playbook is not None else None
    if current is not None and current.source.strip() == source.strip():
        return current, False
    return publish_playbook(by=by, source=source), True
