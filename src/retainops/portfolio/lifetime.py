"""Contractual lifetime value: the sBG model fitted on the agency's own renewals.

A segment is a business unit and a contract term (6-month and 12-month contracts
renew on different clocks, so a period is one term). Each client of the segment
counts once: left after r renewals, or still a client after r renewals (right-censored).
A segment too small or too young to fit falls back to the whole book on that term;
with no fit at all, the client page says there is not enough history.

A client's expected residual revenue is its MRR times the months of a term times its
DERL at the per-term discount rate that the yearly ``PORTFOLIO_DISCOUNT_RATE`` gives:
the revenue from its next renewal on, in today's money.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from retainops.clients.models import Client
from retainops.portfolio.lives import Life, lives
from retainops.stats import StatsInputError

if TYPE_CHECKING:
    from retainops.stats import sbg


@dataclass(frozen=True)
class Segment:
    """A fitted segment: what it is, how many clients, and the fit (None with the reason)."""

    key: str
    label: str
    term_months: int
    clients: int
    left: int
    fit: sbg.SbgFit | None
    problem: str = ""


@dataclass(frozen=True)
class ClientValue:
    """What a client is expected to bring from its next renewal on."""

    segment: Segment
    renewals: int
    mrr: Decimal
    discount_rate: float
    derl: float
    residual_revenue: Decimal

    @property
    def expected_months(self) -> float:
        return round(self.derl * self.segment.term_months, 1)


def annual_discount_rate() -> float:
    return float(settings.PORTFOLIO_DISCOUNT_RATE)


def term_rate(annual: float, term_months: int) -> float:
    """The discount rate over one term from a yearly rate."""
    return float((1 + annual) ** (term_months / 12) - 1)


def _fit(group: list[Life], today: date) -> tuple[sbg.SbgFit | None, str]:
    width = max((life.renewals(today) for life in group), default=0) + 1
    lost, active = [0] * width, [0] * (width + 1)
    for life in group:
        if life.left_on is not None:
            lost[life.renewals(today)] += 1
        else:
            active[life.renewals(today)] += 1
    try:
        from retainops.stats import sbg  # SciPy: loaded on the first fit, not at start-up

        return sbg.fit(lost, active), ""
    except StatsInputError as error:
        return None, str(error)


def fit_segments(group_lives: list[Life], today: date) -> dict[str, Segment]:
    """One segment per unit and term, and one per term across units (the fallback)."""
    groups: dict[tuple[str, str, int], list[Life]] = defaultdict(list)
    for life in group_lives:
        if life.started_on is None:
            continue
        groups[(f"{life.unit_id}:{life.term_months}", life.unit, life.term_months)].append(life)
        groups[(f"all:{life.term_months}", "Every unit", life.term_months)].append(life)
    segments = {}
    for (key, unit, term), members in groups.items():
        fit, problem = _fit(members, today)
        segments[key] = Segment(
            key=key,
            label=f"{unit}, {term}-month contracts",
            term_months=term,
            clients=len(members),
            left=sum(1 for m in members if m.left_on is not None),
            fit=fit,
            problem=problem,
        )
    return dict(sorted(segments.items(), key=lambda item: item[1].label))


def book_segments(*, today: date | None = None) -> dict[str, Segment]:
    """The fitted segments of the whole book, cached for the day (fits read every client)."""
    today = today or timezone.localdate()
    key = f"portfolio:sbg-segments:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = fit_segments(lives(Client.objects.all(), today=today), today)
        cache.set(key, found, 3600)
    return found


def segment_for(life: Life, segments: dict[str, Segment]) -> Segment | None:
    own = segments.get(f"{life.unit_id}:{life.term_months}")
    if own is not None and own.fit is not None:
        return own
    return segments.get(f"all:{life.term_months}") or own


def value_of(
    life: Life,
    segments: dict[str, Segment],
    *,
    today: date,
    mrr: Decimal | None = None,
    annual_rate: float | None = None,
) -> ClientValue | None:
    """The client's expected residual revenue at `mrr` (its own by default), or None."""
    segment = segment_for(life, segments)
    if segment is None or segment.fit is None:
        return None
    rate = term_rate(
        annual_rate if annual_rate is not None else annual_discount_rate(), segment.term_months
    )
    renewals = life.renewals(today)
    value = segment.fit.derl(renewals, rate)
    revenue_mrr = life.mrr if mrr is None else mrr
    residual = (revenue_mrr * segment.term_months * Decimal(str(round(value, 6)))).quantize(
        Decimal("0.01")
    )
    return ClientValue(
        segment=segment,
        renewals=renewals,
        mrr=revenue_mrr,
        discount_rate=rate,
        derl=value,
        residual_revenue=residual,
    )


def client_value(client: Client, *, today: date | None = None) -> ClientValue | None:
    """The expected residual revenue of `client` at its MRR now (None: not enough history)."""
    today = today or timezone.localdate()
    found = lives(Client.objects.filter(pk=client.pk), today=today)
    if not found:
        return None
    return value_of(found[0], book_segments(today=today), today=today)


def client_panel(client: Client, _user: Any) -> dict[str, Any]:
    value = client_value(client)
    return {"value": value, "annual_rate": annual_discount_rate()}
