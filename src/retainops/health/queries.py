"""Reads of health, for the pages, the API and other apps (the portfolio).

For other apps:
- `latest_snapshots(client_ids)` -> {client id: HealthSnapshot}: each client's newest.
- `health_history(client, days=90)` -> list[HealthSnapshot], oldest first.
- `band_counts(day=None)` -> {band: clients} on a day (the newest sweep's by default).
- `client_risk(client)` -> (risk, reasons) from the newest snapshot, or (None, []).
"""

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max, QuerySet

from retainops.clients.models import Client
from retainops.clients.queries import visible_clients
from retainops.core.access import sees_all_units
from retainops.core.capabilities import Capability
from retainops.health.choices import Band
from retainops.health.models import ChurnModelRun, HealthSnapshot, Scorecard


def latest_snapshots(client_ids: list[int]) -> dict[int, HealthSnapshot]:
    newest = (
        HealthSnapshot.objects.filter(client_id__in=client_ids)
        .values("client_id")
        .annotate(day=Max("day"))
    )
    wanted = {(row["client_id"], row["day"]) for row in newest}
    days = {day for _, day in wanted}
    found = HealthSnapshot.objects.filter(client_id__in=client_ids, day__in=days)
    return {s.client_id: s for s in found if (s.client_id, s.day) in wanted}


def health_history(client: Client, days: int = 90) -> list[HealthSnapshot]:
    since = date.today() - timedelta(days=days)
    return list(HealthSnapshot.objects.filter(client=client, day__gte=since).order_by("day"))


def band_counts(day: date | None = None) -> dict[str, int]:
    day = day or HealthSnapshot.objects.aggregate(d=Max("day"))["d"]
    counts = dict.fromkeys(Band.values, 0)
    if day is None:
        return counts
    for row in HealthSnapshot.objects.filter(day=day).values("band").annotate(n=Count("id")):
        counts[row["band"]] = row["n"]
    return counts


def band_distribution(user: Any) -> dict[str, dict[str, int]]:
    """Per business unit the person sees, how many clients stand in each band on the
    latest snapshot day (one query for the day, one for the counts)."""
    day = HealthSnapshot.objects.aggregate(d=Max("day"))["d"]
    if day is None:
        return {}
    rows = (
        HealthSnapshot.objects.filter(day=day, client__in=visible_clients(user))
        .values("client__business_unit__name", "band")
        .annotate(n=Count("id"))
        .order_by("client__business_unit__name")
    )
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = found.setdefault(row["client__business_unit__name"], dict.fromkeys(Band.values, 0))
        counts[row["band"]] = row["n"]
    return found


def client_risk(client: Client) -> tuple[float | None, list[dict[str, Any]]]:
    found = HealthSnapshot.objects.filter(client=client).order_by("-day").first()
    if found is None or found.risk is None:
        return None, []
    return found.risk, list(found.risk_reasons)


# Scoped to the person asking --------------------------------------------------------


def visible_snapshots(user: Any) -> QuerySet[HealthSnapshot]:
    return HealthSnapshot.objects.filter(client__in=visible_clients(user))


def visible_scorecards(user: Any) -> QuerySet[Scorecard]:
    if not getattr(user, "is_authenticated", False):
        return Scorecard.objects.none()
    if sees_all_units(user):
        return Scorecard.objects.all()
    from django.db.models import Q

    return Scorecard.objects.filter(
        Q(business_unit__isnull=True) | Q(business_unit_id__in=user.unit_ids())
    )


def may_see_models(user: Any) -> bool:
    """The churn model page: people who see every unit or manage units."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (sees_all_units(user) or user.has_capability(Capability.MANAGE_UNITS))
    )


def trained_models(user: Any) -> QuerySet[ChurnModelRun]:
    if not may_see_models(user):
        return ChurnModelRun.objects.none()
    return ChurnModelRun.objects.defer("fitted")
