"""Pages of health: the scorecards with their versions, and the churn models."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from retainops.clients.forms import units_for
from retainops.core.admin_views import requires
from retainops.core.capabilities import Capability
from retainops.core.charts import Series, line_chart
from retainops.health import queries, services, signals
from retainops.health.choices import ModelState
from retainops.health.forms import BandsForm, NewScorecardForm, measure_formset, place_errors
from retainops.health.models import Scorecard, ScorecardVersion

LABELS = {
    "logistic": "Logistic regression",
    "boosting": "Gradient boosting",
    "cox": "Cox model",
    "scorecard": "Scorecard",
}


@login_required
def scorecards(request: HttpRequest) -> HttpResponse:
    found = queries.visible_scorecards(request.user).prefetch_related(
        "versions__measures", "versions__created_by"
    )
    labels = {p.key: p for p in signals.providers()}
    cards = []
    for card in found:
        versions = sorted(card.versions.all(), key=lambda v: -v.number)
        current = versions[0] if versions else None
        measures = [
            {
                "label": labels[m.signal].label if m.signal in labels else m.signal,
                "unit": labels[m.signal].unit if m.signal in labels else "",
                "measure": m,
            }
            for m in (current.measures.all() if current else [])
        ]
        cards.append({"card": card, "current": current, "measures": measures, "versions": versions})
    context = {
        "cards": cards,
        "counts": queries.band_counts(),
        "can_manage": request.user.has_capability(Capability.MANAGE_UNITS),  # type: ignore[union-attr]
    }
    return render(request, "health/scorecards.html", context)


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _bands(version: ScorecardVersion | None) -> dict[str, Any]:
    return {"green_from": version.green_from, "amber_from": version.amber_from} if version else {}


@requires(Capability.MANAGE_UNITS)
def edit_scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    """A scorecard's next version, starting from the one in force."""
    card = get_object_or_404(queries.visible_scorecards(request.user), pk=pk)
    current = card.current
    form = BandsForm(_data(request), initial=_bands(current))
    rows = measure_formset(_data(request), version=current)
    if request.method == "POST" and all([form.is_valid(), rows.is_valid()]):
        try:
            version = services.save_scorecard_version(
                scorecard=card,
                by=request.user,
                green_from=form.cleaned_data["green_from"],
                amber_from=form.cleaned_data["amber_from"],
                measures=rows.specs(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            place_errors(error, form, rows)
        else:
            done = f"Version {version.number} saved"
            if version.number > 1:
                done += f"; past snapshots keep version {version.number - 1}"
            messages.success(request, f"{done}.")
            return redirect("health:scorecards")
    context = {
        "title": f"{card.name}: new version",
        "intro": (
            f"Starts from version {current.number}, which stays as it is: past snapshots "
            "keep the version they were scored by."
            if current
            else ""
        ),
        "form": form,
        "rows": rows,
        "submit_label": "Save the new version",
    }
    return render(request, "health/scorecard_form.html", context, status=_status(request))


@requires(Capability.MANAGE_UNITS)
def new_scorecard(request: HttpRequest) -> HttpResponse:
    """A unit's own scorecard, starting as a copy of the agency default's."""
    default = Scorecard.objects.filter(business_unit=None).first()
    start = default.current if default else None
    form = NewScorecardForm(_data(request), units=units_for(request.user), initial=_bands(start))
    rows = measure_formset(_data(request), version=start)
    if request.method == "POST" and all([form.is_valid(), rows.is_valid()]):
        unit = form.cleaned_data["business_unit"]
        try:
            card = services.create_scorecard(
                by=request.user,
                business_unit=unit,
                name=form.cleaned_data["name"],
                green_from=form.cleaned_data["green_from"],
                amber_from=form.cleaned_data["amber_from"],
                measures=rows.specs(),
            )
        except ValidationError as error:
            place_errors(error, form, rows)
        else:
            messages.success(request, f"{card.name} saved for {unit}: version 1.")
            return redirect("health:scorecards")
    context = {
        "title": "New scorecard for a unit",
        "intro": (
            f"The measures start as a copy of {default.name}'s (version {start.number}); "
            "the unit's clients are scored by its own scorecard from the next sweep."
            if default and start
            else ""
        ),
        "form": form,
        "rows": rows,
        "submit_label": "Create the scorecard",
    }
    return render(request, "health/scorecard_form.html", context, status=_status(request))


def _status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


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
