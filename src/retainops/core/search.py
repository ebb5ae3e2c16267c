"""Search everywhere: the header's one box over every kind of record a person may see.

Each app knows its own records and who may see them, so each registers a search kind
in its `AppConfig.ready()`: `register_search(key, label, order, find)`, where
`find(user, text, limit)` gives at most `limit` hits among the records visible to that
person. `search(user, text)` asks every kind and groups the hits in order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

MIN_LENGTH = 2
MAX_LENGTH = 100
PER_KIND = 8


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    detail: str = ""


Find = Callable[[Any, str, int], list[Hit]]


@dataclass(frozen=True)
class SearchKind:
    key: str
    label: str
    order: int
    find: Find


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    hits: list[Hit]
    more: bool = False  # the kind had more hits than shown


_kinds: dict[str, SearchKind] = {}


def register_search(key: str, label: str, order: int, find: Find) -> None:
    """Add a kind of record to the search; a key is taken once."""
    if key in _kinds and _kinds[key].find is not find:
        raise ValueError(f"A search kind named {key!r} is already registered.")
    _kinds[key] = SearchKind(key, label, order, find)


def kinds() -> list[SearchKind]:
    return sorted(_kinds.values(), key=lambda k: (k.order, k.key))


def clean_text(raw: str) -> str:
    """The words searched for, or a ValidationError naming `q` for too little or too much."""
    text = " ".join(raw.split())
    if len(text) < MIN_LENGTH:
        raise ValidationError({"q": [f"Type at least {MIN_LENGTH} characters to search."]})
    if len(text) > MAX_LENGTH:
        raise ValidationError({"q": [f"Search for at most {MAX_LENGTH} characters."]})
    return text


def search(user: Any, raw: str, *, per_kind: int = PER_KIND) -> list[Group]:
    """Every kind's hits for the text, in the kinds' order, kinds without a hit left out."""
    text = clean_text(raw)
    groups = []
    for kind in kinds():
        hits = kind.find(user, text, per_kind + 1)
        if hits:
            groups.append(Group(kind.key, kind.label, hits[:per_kind], len(hits) > per_kind))
    return groups
