"""The health API: signals, scorecards and their versions, snapshots, risk, models."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from retainops.clients.queries import visible_clients
from retainops.health import queries, services, signals
from retainops.health.models import HealthSnapshot, Scorecard, ScorecardVersion
from retainops.health.schemas import (
    ModelOut,
    RiskOut,
    ScorecardOut,
    ScorecardVersionOut,
    SignalOut,
    SnapshotOut,
    VersionIn,
)

router = Router(tags=["health"])


def _version(v: ScorecardVersion) -> dict[str, Any]:
    return {
        "number": v.number,
        "green_from": v.green_from,
        "amber_from": v.amber_from,
        "note": v.note,
        "created_at": v.created_at,
        "measures": [
            {"signal": m.signal, "weight": m.weight, "good": m.good, "bad": m.bad}
            for m in v.measures.all()
        ],
    }


def _card(card: Scorecard) -> dict[str, Any]:
    versions = card.versions.order_by("-number").prefetch_related("measures")
    return {
        "id": card.pk,
        "name": card.name,
        "business_unit_id": card.business_unit_id,
        "versions": [_version(v) for v in versions],
    }


@router.get("/health/signals", response=list[SignalOut])
def list_signals(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"key": p.key, "label": p.label, "unit": p.unit, "direction": str(p.direction)}
        for p in signals.providers()
    ]


@router.get("/health/scorecards", response=list[ScorecardOut])
def list_scorecards(request: HttpRequest) -> list[dict[str, Any]]:
    return [_card(c) for c in queries.visible_scorecards(request.user)]


@router.post("/health/scorecards/{card_id}/versions", response={201: ScorecardVersionOut})
def new_version(request: HttpRequest, card_id: int, data: VersionIn) -> tuple[int, dict[str, Any]]:
    card = get_object_or_404(queries.visible_scorecards(request.user), pk=card_id)
    version = services.save_scorecard_version(
        scorecard=card,
        by=request.user,
        green_from=data.green_from,
        amber_from=data.amber_from,
        measures=[services.MeasureSpec(**m.dict()) for m in data.measures],
        note=data.note,
    )
    return 201, _version(version)


def _snapshot(s: HealthSnapshot) -> dict[str, Any]:
    return {
        "day": s.day,
        "score": s.score,
        "band": s.band,
        "version": s.version.number,
        "contributions": s.contributions,
        "risk": s.risk,
        "risk_reasons": s.risk_reasons,
    }


@router.get("/health/clients/{client_id}/snapshots", response=list[SnapshotOut])
def client_snapshots(request: HttpRequest, client_id: int, days: int = 90) -> list[dict[str, Any]]:
    client = get_object_or_404(visible_clients(request.user), pk=client_id)
    return [_snapshot(s) for s in queries.health_history(client, days=max(1, min(days, 3650)))]


@router.get("/health/clients/{client_id}/risk", response=RiskOut)
def client_risk(request: HttpRequest, client_id: int) -> dict[str, Any]:
    client = get_object_or_404(visible_clients(request.user), pk=client_id)
    latest = HealthSnapshot.objects.filter(client=client).order_by("-day").first()
    return {
        "client_id": client.pk,
        "risk": latest.risk if latest else None,
        "reasons": latest.risk_reasons if latest else [],
        "day": latest.day if latest else None,
        "model_id": latest.model_id if latest else None,
    }


@router.get("/health/models", response=list[ModelOut])
def list_models(request: HttpRequest) -> Any:
    if not queries.may_see_models(request.user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("The churn models are shown to those who see every unit.")
    return list(queries.trained_models(request.user)[:50])


@router.post("/health/models", response={201: ModelOut})
def train_model(request: HttpRequest) -> tuple[int, Any]:
    return 201, services.train_churn(by=request.user)
