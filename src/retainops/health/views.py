"""Pages of health: the scorecards with their versions, and the churn models."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from retainops.core.capabilities import Capability
from retainops.core.charts import Series, line_chart
from retainops.health import queries, services
from retainops.health.choices import ModelState

LABELS = {
    "logistic": "Logistic regression",
    "boosting": "Gradient boosting",
    "cox": "Cox model",
    "scorecard": "Scorecard",
}


@login_required
def scorecards(request: HttpRequest) -> HttpResponse:
    cards = queries.visible_scorecards(request.user).prefetch_related("versions__measures")
    context = {
        "cards": cards,
        "counts": queries.band_counts(),
        "can_manage": request.user.has_capability(Capability.MANAGE_UNITS),  # type: ignore[union-attr]
    }
    return render(request, "health/scorecards.html", context)


@login_required
def models(request: HttpRequest) -> HttpResponse:
    if not queries.may_see_models(request.user):
        raise PermissionDenied("The churn models are shown to those who see every unit.")
    runs = list(queries.trained_models(request.user)[:20])
    latest = next((r for r in runs if r.state == ModelState.TRAINED), None)
    chart = None
    rows = []
    if latest is not None:
        evaluations = latest.figures.get("evaluations", {})
        for key, figures in evaluations.items():
            rows.append(
                {
                    "model": LABELS.get(key, key),
                    "auc": figures["auc"],
                    "brier": figures["brier"],
                    "chosen": key == latest.chosen,
                }
            )
        chosen = evaluations.get(latest.chosen, {}).get("calibration", [])
        if chosen:
            chart = line_chart(
                title=f"Calibration of the {LABELS[latest.chosen].lower()} on held-out months",
                x_labels=[f"{p:.2f}" for p, _ in chosen],
                series=[
                    Series.of("Observed share", [o for _, o in chosen]),
                    Series.of("Predicted", [p for p, _ in chosen]),
                ],
                y_label="share giving notice",
            )
    user: Any = request.user
    context = {
        "runs": runs,
        "latest": latest,
        "rows": rows,
        "chart": chart,
        "drivers": (latest.figures.get("drivers", [])[:5] if latest else []),
        "can_train": user.has_capability(Capability.MANAGE_UNITS),
    }
    return render(request, "health/models.html", context)


@login_required
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    run = services.train_churn(by=request.user)
    if run.state == ModelState.TRAINED:
        messages.success(request, f"Trained: {LABELS.get(run.chosen, run.chosen)} chosen.")
    else:
        messages.error(request, f"Not trained: {run.error}")
    return redirect("health:models")
