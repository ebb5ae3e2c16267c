"""Which saves work: the save rate by reason and by the offer made, with intervals.

Every change request with a save attempt counts once, by its final outcome (the same
rule as the retention reports: what happened once it took effect, else the latest
call). The offer is read from the request itself: a credit (a credit amount), a pause
(a pause request, or a call that ended paused), a budget change (a contract line
changing a budget) and an added service (a contract line adding one); a request
that offered nothing counts under "no offer". A request may have made several offers
and counts under each. Intervals are Wilson score intervals at 95%; fewer than
``FEW_CASES`` requests are shown as few.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from retainops.changes.choices import SAVED_OUTCOMES, ChangeKind, LineAction, SaveOutcome
from retainops.changes.models import ChangeRequest, SaveAttempt
from retainops.changes.queries import (
    final_outcome,
    projected_mrr,
    revenue_split,
    visible_requests,
)
from retainops.clients.models import Client
from retainops.portfolio import lifetime
from retainops.portfolio.lives import lives

FEW_CASES = 10
Z95 = 1.959964


class Offer:
    CREDIT = "credit"
    PAUSE = "pause"
    BUDGET = "budget_change"
    SERVICE = "added_service"
    NONE = "no_offer"


OFFER_LABELS = {
    Offer.CREDIT: "Credit",
    Offer.PAUSE: "Pause",
    Offer.BUDGET: "Budget change",
    Offer.SERVICE: "Added service",
    Offer.NONE: "No offer",
}


def wilson(saved: int, cases: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of saved / cases (0, 1 with no case)."""
    if cases <= 0:
        return 0.0, 1.0
    p = saved / cases
    denominator = 1 + z * z / cases
    centre = (p + z * z / (2 * cases)) / denominator
    half = z * math.sqrt(p * (1 - p) / cases + z * z / (4 * cases * cases)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class SaveRate:
    label: str
    cases: int = 0
    saved: int = 0
    revenue_kept: Decimal = Decimal("0")

    @property
    def rate(self) -> float | None:
        return self.saved / self.cases if self.cases else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.saved, self.cases)

    @property
    def few(self) -> bool:
        return self.cases < FEW_CASES

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "label": self.label,
            "cases": self.cases,
            "saved": self.saved,
            "rate": None if self.rate is None else round(self.rate, 4),
            "low": round(low, 4),
            "high": round(high, 4),
            "few": self.few,
            "revenue_kept": str(self.revenue_kept),
        }


@dataclass
class SavesReport:
    overall: SaveRate
    by_reason: list[SaveRate] = field(default_factory=list)
    by_offer: list[SaveRate] = field(default_factory=list)


def offers_of(request: ChangeRequest, outcome: str) -> list[str]:
    offers = []
    if request.credit_amount > 0:
        offers.append(Offer.CREDIT)
    if request.kind == ChangeKind.PAUSE or outcome == SaveOutcome.PAUSED:
        offers.append(Offer.PAUSE)
    actions = {line.action for line in request.lines.all()}
    if LineAction.BUDGET in actions:
        offers.append(Offer.BUDGET)
    if LineAction.ADD in actions:
        offers.append(Offer.SERVICE)
    return offers or [Offer.NONE]


def saves_report(user: Any) -> SavesReport:
    """The save rates of the requests `user` sees that someone tried to save."""
    requests = visible_requests(user).filter(saves__isnull=False).distinct()
    latest: dict[int, SaveAttempt] = {}
    for attempt in SaveAttempt.objects.filter(request__in=requests).order_by("at", "id"):
        latest[attempt.request_id] = attempt
    overall = SaveRate("Every request")
    reasons: dict[str, SaveRate] = {}
    offers: dict[str, SaveRate] = defaultdict(lambda: SaveRate(""))
    for request in requests.select_related("reason").prefetch_related("lines"):
        outcome = final_outcome(request, latest.get(request.pk))
        if outcome is None:
            continue
        new_mrr = projected_mrr(request) if outcome == SaveOutcome.SAVED_WITH_CHANGE else Decimal(0)
        kept, _lost = revenue_split(request, outcome, new_mrr)
        saved = outcome in SAVED_OUTCOMES
        reason = reasons.setdefault(request.reason.label, SaveRate(request.reason.label))
        targets = [overall, reason] + [offers[o] for o in offers_of(request, outcome)]
        for rate in targets:
            rate.cases += 1
            rate.saved += saved
            rate.revenue_kept += kept
    by_offer = []
    for code, label in OFFER_LABELS.items():
        found = offers.get(code)
        if found is not None:
            found.label = label
            by_offer.append(found)
    return SavesReport(
        overall=overall,
        by_reason=sorted(reasons.values(), key=lambda r: (-r.cases, r.label)),
        by_offer=by_offer,
    )


# The change-request page: the value at stake and a ceiling for a save credit --------------


@dataclass(frozen=True)
class Stake:
    value: lifetime.ClientValue
    at_stake: Decimal
    ceiling: Decimal
    share: float
    credit: Decimal

    @property
    def credit_above_ceiling(self) -> bool:
        return self.credit > self.ceiling


def stake_of(request: ChangeRequest) -> Stake | None:
    """What the request puts at risk: the whole expected residual revenue at the MRR when
    raised for a cancellation, a pause or doubts about the value; for a contract change,
    that of the MRR it would remove. The ceiling is ``PORTFOLIO_SAVE_CREDIT_SHARE`` of it."""
    today = timezone.localdate()
    found = lives(Client.objects.filter(pk=request.client_id), today=today)
    if not found:
        return None
    mrr = request.mrr_before
    if request.kind == ChangeKind.CONTRACT_CHANGE:
        mrr = max(request.mrr_before - projected_mrr(request), Decimal("0"))
    value = lifetime.value_of(found[0], lifetime.book_segments(today=today), today=today, mrr=mrr)
    if value is None:
        return None
    share = float(settings.PORTFOLIO_SAVE_CREDIT_SHARE)
    ceiling = (value.residual_revenue * Decimal(str(share))).quantize(Decimal("0.01"))
    return Stake(
        value=value,
        at_stake=value.residual_revenue,
        ceiling=ceiling,
        share=share,
        credit=request.credit_amount,
    )


def request_panel(request: ChangeRequest, _user: Any) -> dict[str, Any]:
    return {"stake": stake_of(request)}
