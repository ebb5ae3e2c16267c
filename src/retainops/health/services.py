"""Operations on health: writing a scorecard's next version, training a churn model."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from retainops.core.access import require_capability, require_unit_access
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.health import signals
from retainops.health.models import ChurnModelRun, Measure, Scorecard, ScorecardVersion
from retainops.health.training import train_churn_model


@dataclass(frozen=True)
class MeasureSpec:
    signal: str
    weight: float
    good: float
    bad: float


def _check(green_from: float, amber_from: float, measures: list[MeasureSpec]) -> None:
    if not 0 <= amber_from <= 100:
        raise invalid("amber_from", "The amber bound must lie between 0 and 100.")
    if not 0 <= green_from <= 100:
        raise invalid("green_from", "The green bound must lie between 0 and 100.")
    if green_from <= amber_from:
        raise invalid("green_from", "The green bound must be above the amber bound.")
    if not measures:
        raise invalid("measures", "A scorecard needs at least one measure.")
    known = set(signals.keys())
    seen = set()
    for index, m in enumerate(measures):
        if m.signal not in known:
            raise invalid(f"measures.{index}.signal", f"No health signal is called {m.signal!r}.")
        if m.signal in seen:
            raise invalid(f"measures.{index}.signal", f"{m.signal} is measured twice.")
        seen.add(m.signal)
        if not m.weight > 0:
            raise invalid(f"measures.{index}.weight", "A weight must be above zero.")
        if m.good == m.bad:
            raise invalid(f"measures.{index}.good", "Good and bad must be different values.")


def save_scorecard_version(
    *,
    scorecard: Scorecard,
    by: Any,
    green_from: float,
    amber_from: float,
    measures: list[MeasureSpec],
    note: str = "",
) -> ScorecardVersion:
    """Write the scorecard's next version; earlier versions and their snapshots stay."""
    require_capability(by, Capability.MANAGE_UNITS)
    if scorecard.business_unit_id is not None:
        require_unit_access(by, scorecard.business_unit_id)
    _check(green_from, amber_from, measures)
    with transaction.atomic():
        Scorecard.objects.select_for_update(of=("self",)).filter(pk=scorecard.pk).first()
        number = (scorecard.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ScorecardVersion.objects.create(
            scorecard=scorecard,
            number=number,
            green_from=green_from,
            amber_from=amber_from,
            note=note[:300],
            created_by=by,
        )
        Measure.objects.bulk_create(
            Measure(version=version, signal=m.signal, weight=m.weight, good=m.good, bad=m.bad)
            for m in measures
        )
    return version


def create_scorecard(
    *,
    by: Any,
    business_unit: Any,
    name: str,
    green_from: float,
    amber_from: float,
    measures: list[MeasureSpec],
) -> Scorecard:
    require_capability(by, Capability.MANAGE_UNITS)
    if not name.strip():
        raise invalid("name", "A scorecard needs a name.")
    if Scorecard.objects.filter(business_unit=business_unit).exists():
        raise invalid("business_unit", "This unit already has a scorecard: change its version.")
    with transaction.atomic():
        card = Scorecard.objects.create(business_unit=business_unit, name=name.strip())
        save_scorecard_version(
            scorecard=card, by=by, green_from=green_from, amber_from=amber_from, measures=measures
        )
    return card


def train_churn(*, by: Any) -> ChurnModelRun:
    """Train a churn model now (the page's button, the API, `retainops train_churn`)."""
    if by is not None:
        require_capability(by, Capability.MANAGE_UNITS)
    return train_churn_model(by=by)


def measures_from(rows: list[dict[str, Any]]) -> list[MeasureSpec]:
    specs = []
    for index, row in enumerate(rows):
        try:
            specs.append(
                MeasureSpec(
                    str(row["signal"]), float(row["weight"]), float(row["good"]), float(row["bad"])
                )
            )
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                {f"measures.{index}": ["Each measure needs a signal, a weight, good and bad."]}
            ) from None
    return specs
