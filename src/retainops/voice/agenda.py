"""The agenda of a feedback meeting, assembled from registered sections.

An app registers a section with `register_agenda_section(key, title, order, build)`;
`build(session)` gives a small dict of what the section shows, or None to leave it out.
A later registration of a key replaces the earlier one: voice registers a placeholder
under "performance" that the KPI app replaces with the program's figures.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

Build = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class AgendaSection:
    key: str
    title: str
    order: int
    build: Build


@dataclass(frozen=True)
class BuiltSection:
    key: str
    title: str
    values: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "values": _plain(self.values)}


_sections: dict[str, AgendaSection] = {}


def register_agenda_section(key: str, title: str, order: int, build: Build) -> None:
    """Add a section to every feedback agenda; the same key again replaces it."""
    _sections[key] = AgendaSection(key, title, order, build)


def sections() -> list[AgendaSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def assemble(session: Any) -> list[BuiltSection]:
    """The session's agenda: each section that has something to say, in order."""
    built = []
    for section in sections():
        values = section.build(session)
        if values is not None:
            built.append(BuiltSection(section.key, section.title, values))
    return built


def _plain(value: Any) -> Any:
    """What a stored agenda keeps: plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# Voice's own sections ------------------------------------------------------------------

LOOKBACK = timedelta(days=90)


def _performance(session: Any) -> dict[str, Any]:
    return {"placeholder": True, "note": "Program KPIs appear here once they are tracked."}


def _complaints(session: Any) -> dict[str, Any] | None:
    from retainops.complaints.choices import OPEN_STATUSES
    from retainops.complaints.models import Complaint

    rows = Complaint.objects.filter(
        client_id=session.series.client_id, status__in=OPEN_STATUSES
    ).select_related("theme")
    items = [
        {
            "summary": c.summary,
            "status": c.get_status_display(),
            "theme": c.theme.label if c.theme else "",
        }
        for c in rows[:20]
    ]
    themes = sorted({i["theme"] for i in items if i["theme"]})
    return {"complaints": items, "themes": themes}


def _surveys(session: Any) -> dict[str, Any] | None:
    from retainops.voice.queries import csat_by_client, nps_by_client

    client_id, at = session.series.client_id, session.starts_at
    nps = nps_by_client([client_id], as_of=at, window_days=90).get(client_id)
    csat = csat_by_client([client_id], as_of=at, window_days=90).get(client_id)
    if nps is None and csat is None:
        return {"empty": True}
    return {
        "nps": nps.score if nps else None,
        "nps_answers": nps.answers if nps else 0,
        "csat": csat.average if csat else None,
        "csat_answers": csat.answers if csat else 0,
    }


def _observations(session: Any) -> dict[str, Any] | None:
    from retainops.voice.models import Observation

    rows = Observation.objects.filter(
        client_id=session.series.client_id,
        recorded_at__gte=session.starts_at - LOOKBACK,
        recorded_at__lte=session.starts_at,
    )[:20]
    return {"observations": [{"text": o.text, "sentiment": o.sentiment} for o in rows]}


def _recommendations(session: Any) -> dict[str, Any] | None:
    from retainops.voice.queries import recommendations_for

    return {"recommendations": recommendations_for(session)}


def _open_actions(session: Any) -> dict[str, Any] | None:
    from retainops.voice.models import ActionItem

    rows = (
        ActionItem.objects.filter(series=session.series, state="open")
        .exclude(session=session)
        .select_related("owner")
    )
    return {
        "actions": [
            {"title": a.title, "owner": str(a.owner), "due_date": a.due_date.isoformat()}
            for a in rows
        ]
    }


def register_own_sections() -> None:
    register_agenda_section("performance", "Performance", 10, _performance)
    register_agenda_section("complaints", "Open complaints and themes", 20, _complaints)
    register_agenda_section("surveys", "Survey results", 30, _surveys)
    register_agenda_section("observations", "What the service team heard", 40, _observations)
    register_agenda_section("recommendations", "Recommendations", 50, _recommendations)
    register_agenda_section("actions", "Open action items", 60, _open_actions)
