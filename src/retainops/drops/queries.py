"""Reads about drops, scoped to the person; and the results other apps read.

`drop_results_for_program` and `drop_results_by_client` are what the program surveys
and the cross-team feedback meeting's agenda draw on: forecast against actual (MAPE per
answer channel), response rate, conversions, sales and customers acquired."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from retainops.core.access import sees_all_units
from retainops.drops.choices import DropState
from retainops.drops.forecast import drop_curve
from retainops.drops.models import Drop, ResponseProfile
from retainops.onboarding.models import Program


def drops_for(user: Any) -> QuerySet[Drop]:
    drops = Drop.objects.select_related("program__client__business_unit", "owner")
    if sees_all_units(user):
        return drops
    return drops.filter(program__client__business_unit_id__in=user.unit_ids())


@dataclass
class DropResult:
    """A drop's figures after it went out. `mape` is by answer channel (None where no
    actual interval had a contact), `forecast_contacts`/`actual_contacts` over the
    intervals the contact centre reported."""

    drop_id: int
    name: str
    client_id: int
    program_id: int
    channel: str
    drop_at: datetime
    audience_size: int
    expected_response_rate: float
    actual_contacts: int
    forecast_contacts: float
    response_rate: float | None
    mape: dict[str, float | None] = field(default_factory=dict)
    conversions: int | None = None
    sales: Decimal | None = None
    customers_acquired: int | None = None

    @property
    def overall_mape(self) -> float | None:
        values = [v for v in self.mape.values() if v is not None]
        return sum(values) / len(values) if values else None


def mape(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Mean absolute percentage error over (forecast, actual) pairs with actual > 0."""
    terms = [abs(actual - forecast) / actual for forecast, actual in pairs if actual > 0]
    return sum(terms) / len(terms) if terms else None


def result_of(drop: Drop, profiles: dict[str, ResponseProfile] | None = None) -> DropResult:
    profiles = (
        profiles if profiles is not None else {p.channel: p for p in ResponseProfile.objects.all()}
    )
    actuals = list(drop.actuals.all())
    by_channel: dict[str, dict[datetime, int]] = defaultdict(dict)
    for a in actuals:
        by_channel[a.answer_channel][a.starts_at] = a.contacts
    curve = drop_curve(drop, profiles[drop.channel]) if drop.channel in profiles else {}
    errors: dict[str, float | None] = {}
    forecast_total = 0.0
    for channel, observed in by_channel.items():
        forecast = dict(curve.get(channel, []))
        pairs = [(forecast.get(at, 0.0), n) for at, n in observed.items()]
        forecast_total += sum(f for f, _ in pairs)
        errors[channel] = mape(pairs)
    total = sum(a.contacts for a in actuals)
    return DropResult(
        drop_id=drop.pk,
        name=drop.name,
        client_id=drop.program.client_id,
        program_id=drop.program_id,
        channel=drop.channel,
        drop_at=drop.drop_at,
        audience_size=drop.audience_size,
        expected_response_rate=drop.expected_response_rate,
        actual_contacts=total,
        forecast_contacts=forecast_total,
        response_rate=(total / drop.audience_size) if actuals and drop.audience_size else None,
        mape=errors,
        conversions=drop.conversions,
        sales=drop.sales,
        customers_acquired=drop.customers_acquired,
    )


def results_of(drops: QuerySet[Drop]) -> list[DropResult]:
    """Each drop's figures, in three queries whatever the number of drops."""
    profiles = {p.channel: p for p in ResponseProfile.objects.all()}
    return [
        result_of(d, profiles) for d in drops.select_related("program").prefetch_related("actuals")
    ]


def drop_results_for_program(program: Program, *, since: datetime) -> list[DropResult]:
    """The program's drops that went out (dropped, or dated before now) since `since`,
    oldest first, with their figures."""
    drops = Drop.objects.filter(program=program, drop_at__gte=since).exclude(
        state=DropState.CANCELLED
    )
    return [r for r in results_of(drops.order_by("drop_at")) if _went_out(r, drops)]


def drop_results_by_client(
    client_ids: list[int], *, as_of: datetime, window_days: int = 90
) -> dict[int, list[DropResult]]:
    """For each client id, its drops dated in the `window_days` up to `as_of`, with their
    figures (clients without drops get an empty list)."""
    drops = (
        Drop.objects.filter(
            program__client_id__in=client_ids,
            drop_at__lte=as_of,
            drop_at__gt=as_of - timedelta(days=window_days),
        )
        .exclude(state=DropState.CANCELLED)
        .order_by("drop_at")
    )
    out: dict[int, list[DropResult]] = {cid: [] for cid in client_ids}
    for result in results_of(drops):
        out.setdefault(result.client_id, []).append(result)
    return out


def _went_out(result: DropResult, drops: QuerySet[Drop]) -> bool:
    from django.utils import timezone

    return result.drop_at <= timezone.now()
