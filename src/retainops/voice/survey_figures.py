"""What a survey was about, with the figures of its subject beside the answers.

A survey a playbook step sends for a subject (a marketing drop, say) records the
subject's type and id (`Survey.about_type`, `about_id`). The app that owns that subject
type registers how to describe a batch of them: `register_survey_figures(code, build)`,
where `build(ids)` gives, for each id it knows, an `About` (a label and the figures to
read beside the answers). Voice sits below those apps and never imports them; a type
nobody registered shows no figures.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    name: str
    value: str


@dataclass(frozen=True)
class About:
    """A survey's subject as people read it: "Spring mailer, dropped 2026-03-02", with
    figures such as ("Contacts", "1,240 (forecast 1,180)")."""

    label: str
    figures: tuple[Figure, ...] = field(default_factory=tuple)


Build = Callable[[list[int]], dict[int, About]]

_builders: dict[str, Build] = {}


def register_survey_figures(about_type: str, build: Build) -> None:
    """Describe surveys about subjects of `about_type`; the same type again replaces it."""
    _builders[about_type] = build


def about_surveys(surveys: Iterable[Any]) -> dict[int, About]:
    """Survey id -> what it was about, one `build` call per subject type in the batch."""
    wanted: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for survey in surveys:
        if survey.about_type and survey.about_id is not None:
            wanted[survey.about_type][survey.about_id].append(survey.pk)
    found: dict[int, About] = {}
    for about_type, by_subject in wanted.items():
        build = _builders.get(about_type)
        if build is None:
            continue
        for subject_id, about in build(sorted(by_subject)).items():
            for survey_id in by_subject.get(subject_id, []):
                found[survey_id] = about
    return found
