"""API of the lifetime value and the portfolio.

`POST /analytics/sbg` fits the sBG model to an analyst's alive counts (bad counts, a
discount rate outside (0, 1) or a fit that does not converge answer 422 naming the
problem). The portfolio endpoints read the clients the caller sees, like the page.
"""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from retainops.clients.queries import visible_clients
from retainops.core.errors import invalid
from retainops.portfolio import lifetime, metrics, saves
from retainops.portfolio.schemas import (
    ClientValueOut,
    PortfolioOut,
    SavesOut,
    SbgIn,
    SbgOut,
)
from retainops.stats import StatsInputError, sbg

analytics_router = Router(tags=["analytics"])
router = Router(tags=["portfolio"])


@analytics_router.post("/sbg", response=SbgOut)
def fit_sbg(request: HttpRequest, payload: SbgIn) -> dict[str, Any]:
    field = "alive"
    try:
        fitted = sbg.fit_alive(payload.alive)
        field = "discount_rate"
        rate = sbg.check_discount_rate(payload.discount_rate)
        return {
            "a": fitted.a,
            "b": fitted.b,
            "log_likelihood": fitted.log_likelihood,
            "survival": fitted.survival(payload.project_to),
            "retention": fitted.retention(payload.project_to),
            "derl": [fitted.derl(n, rate) for n in range(payload.project_to + 1)],
        }
    except StatsInputError as error:
        raise invalid(field, str(error)) from None


@router.get("/portfolio", response=PortfolioOut)
def get_portfolio(request: HttpRequest) -> dict[str, Any]:
    data = metrics.portfolio(request.user)
    return {
        "clients": data.clients,
        "months": [row.as_dict() for row in data.months],
        "cohort_retention": data.curves,
        "sale_to_live_days": data.sale_to_live,
        "approval_by_step_hours": data.approvals["by_step_hours"],
        "submission_to_approval_days": data.approvals["submission_to_approval_days"],
    }


@router.get("/portfolio/saves", response=SavesOut)
def get_saves(request: HttpRequest) -> dict[str, Any]:
    report = saves.saves_report(request.user)
    return {
        "overall": report.overall.as_dict(),
        "by_reason": [r.as_dict() for r in report.by_reason],
        "by_offer": [r.as_dict() for r in report.by_offer],
    }


@router.get("/portfolio/clients/{client_id}/value", response=ClientValueOut)
def get_client_value(request: HttpRequest, client_id: int) -> dict[str, Any]:
    client = get_object_or_404(visible_clients(request.user), pk=client_id)
    value = lifetime.client_value(client)
    if value is None or value.segment.fit is None:
        return {"client_id": client.pk, "valued": False, "reason": "Not enough renewal history."}
    return {
        "client_id": client.pk,
        "valued": True,
        "segment": value.segment.label,
        "a": value.segment.fit.a,
        "b": value.segment.fit.b,
        "renewals": value.renewals,
        "mrr": str(value.mrr),
        "discount_rate_per_term": value.discount_rate,
        "derl": value.derl,
        "residual_revenue": str(value.residual_revenue),
    }
