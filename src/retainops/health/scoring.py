"""Turning signal values into a health score, in sets.

Steps for a batch of clients:
1. Find each client's scorecard version in force (its unit's, else the default).
2. Read every signal those versions measure, once for the whole batch.
3. For each client and measure: points = (value - bad) / (good - bad), clipped to
   [0, 1]; an unknown value earns no points (not known is not good), except for a
   signal whose unknown is no evidence either way (no survey answered yet): that
   measure is left out and its weight goes to the others. The score is 100 x the
   weighted mean of the points, and its band follows the version's bounds.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from retainops.health import signals
from retainops.health.models import Measure, Scorecard, ScorecardVersion


@dataclass(frozen=True)
class Scored:
    """A client's score by one version, with each measure's share."""

    client_id: int
    version: ScorecardVersion
    score: float
    band: str
    contributions: list[dict[str, Any]] = field(default_factory=list)


def measure_points(measure: Measure, value: float | None) -> float:
    if value is None or measure.good == measure.bad:
        return 0.0
    return min(1.0, max(0.0, (value - measure.bad) / (measure.good - measure.bad)))


def score_one(
    client_id: int, version: ScorecardVersion, values: Mapping[str, Mapping[int, float | None]]
) -> Scored:
    measures = list(version.measures.all())
    known = {m.signal: values.get(m.signal, {}).get(client_id) for m in measures}
    left_out = {
        m.signal
        for m in measures
        if known[m.signal] is None and signals.provider(m.signal).unknown_is_neutral
    }
    total_weight = sum(m.weight for m in measures if m.signal not in left_out) or 1.0
    score = 0.0
    parts = []
    for measure in measures:
        provider = signals.provider(measure.signal)
        value = known[measure.signal]
        share = 0.0 if measure.signal in left_out else 100.0 * measure.weight / total_weight
        earned = share * measure_points(measure, value)
        score += earned
        parts.append(
            {
                "signal": measure.signal,
                "label": provider.label,
                "value": value,
                "points": round(earned, 1),
                "max": round(share, 1),
                "words": provider.describe(value)
                + (" (not counted)" if measure.signal in left_out else ""),
            }
        )
    score = round(score, 1)
    return Scored(client_id, version, score, version.band_of(score), parts)


class VersionFinder:
    """The version in force for each unit, read once per batch."""

    def __init__(self) -> None:
        cards = Scorecard.objects.all()
        newest: dict[int | None, ScorecardVersion] = {}
        versions = (
            ScorecardVersion.objects.filter(scorecard__in=cards)
            .select_related("scorecard")
            .prefetch_related("measures")
            .order_by("scorecard_id", "-number")
        )
        for version in versions:
            newest.setdefault(version.scorecard.business_unit_id, version)
        self._by_unit = newest

    def version_for(self, unit_id: int) -> ScorecardVersion | None:
        return self._by_unit.get(unit_id) or self._by_unit.get(None)

    def all_signals(self) -> set[str]:
        return self.signals_of(self._by_unit.values())

    def signals_of(self, versions: Iterable[ScorecardVersion]) -> set[str]:
        return {m.signal for v in versions for m in v.measures.all()}


def score_clients(
    clients: Iterable[tuple[int, int]],
    *,
    as_of: datetime,
    finder: VersionFinder | None = None,
    extra_signals: Iterable[str] = (),
) -> tuple[list[Scored], dict[str, dict[int, float | None]]]:
    """Score (client id, unit id) pairs at `as_of`; also answers the signal values read."""
    finder = finder or VersionFinder()
    pairs = [(cid, finder.version_for(unit)) for cid, unit in clients]
    known = [(cid, v) for cid, v in pairs if v is not None]
    wanted = finder.signals_of(v for _, v in known) | set(extra_signals)
    values = signals.read_signals(sorted(wanted), [cid for cid, _ in pairs], as_of=as_of)
    return [score_one(cid, version, values) for cid, version in known], values
