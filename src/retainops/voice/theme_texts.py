"""Survey comments and observations as texts of the complaint themes (the themes read
them through complaints.themes' registry; complaints never imports voice)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from retainops.complaints.themes import ThemeText, ThemeTextSource
from retainops.voice.models import Observation, SurveyAnswer


def _answer_texts(since: datetime, now: datetime) -> list[ThemeText]:
    rows = SurveyAnswer.objects.filter(answered_at__gte=since, answered_at__lte=now).exclude(
        comment=""
    )
    return [
        ThemeText("survey-answers", str(a.pk), a.comment, a.client_id, a.answered_at, a.theme_id)
        for a in rows.order_by("answered_at", "id")
    ]


def _observation_texts(since: datetime, now: datetime) -> list[ThemeText]:
    rows = Observation.objects.filter(recorded_at__gte=since, recorded_at__lte=now)
    return [
        ThemeText("observations", str(o.pk), o.text, o.client_id, o.recorded_at, o.theme_id)
        for o in rows.order_by("recorded_at", "id")
    ]


def _assigner(model: Any) -> Callable[[dict[str, int | None]], None]:
    def assign(joined: dict[str, int | None]) -> None:
        by_theme: dict[int | None, list[int]] = {}
        for key, theme_id in joined.items():
            by_theme.setdefault(theme_id, []).append(int(key))
        for theme_id, ids in by_theme.items():
            model.objects.filter(pk__in=ids).exclude(theme_id=theme_id).update(theme_id=theme_id)

    return assign


def _answers_changed(moment: datetime | None) -> bool:
    rows = SurveyAnswer.objects.exclude(comment="")
    return (rows if moment is None else rows.filter(answered_at__gt=moment)).exists()


def _observations_changed(moment: datetime | None) -> bool:
    rows = Observation.objects.all()
    return (rows if moment is None else rows.filter(recorded_at__gt=moment)).exists()


SOURCES = [
    ThemeTextSource("survey-answers", _answer_texts, _assigner(SurveyAnswer), _answers_changed),
    ThemeTextSource(
        "observations",
        _observation_texts,
        _assigner(Observation),
        _observations_changed,
    ),
]
