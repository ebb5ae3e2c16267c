"""Pages of the voice of the customer: the answer page of a survey link (no account,
the portal's look, fit for a phone), and the staff pages: figures with their counts and
trend, sending a survey, recording an observation, follow-ups, feedback meetings."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from retainops.clients.queries import visible_clients
from retainops.core.charts import Series, line_chart
from retainops.core.errors import errors_by_field
from retainops.core.models import User
from retainops.core.schemas import parse_id
from retainops.onboarding.portal_views import render_portal
from retainops.voice import agenda, links, queries, services
from retainops.voice.choices import ObservationCategory, Sentiment
from retainops.voice.models import ActionItem, FeedbackSession, FollowUp, SurveyDefinition

MAX_DAYS = 3650  # the figures look back at most ten years


def answer(request: HttpRequest, token: str) -> HttpResponse:
    """A recipient's survey: the questions, then thanks; a used, expired or altered link
    gets its own sentence and changes nothing."""
    try:
        invitation = links.resolve(token)
    except links.LinkRefused as refused:
        status = 410 if refused.reason in ("used", "expired") else 404
        return render_portal(
            request, "voice/link_refused.html", {"refused": refused}, status=status
        )
    questions = invitation.survey.version.questions
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.answer_survey(token=token, raw=request.POST.dict())
        except links.LinkRefused as refused:
            return render_portal(
                request, "voice/link_refused.html", {"refused": refused}, status=410
            )
        except ValidationError as error:
            errors = errors_by_field(error)
        else:
            return render_portal(request, "voice/thanks.html", {"invitation": invitation})
    rows = [
        {
            **q,
            "range": _range(q),
            "error": errors.get(q["key"], []),
            "given": request.POST.get(q["key"], ""),
        }
        for q in questions
    ]
    context = {"invitation": invitation, "questions": rows, "client": invitation.survey.client}
    return render_portal(request, "voice/answer.html", context, status=400 if errors else 200)


def _range(q: dict[str, Any]) -> list[int]:
    limits = {"nps": (0, 10), "csat": (1, 5)}.get(q["kind"]) or (
        (q["min"], q["max"]) if q["kind"] == "scale" else None
    )
    return list(range(limits[0], limits[1] + 1)) if limits else []


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """NPS, CSAT and response rate per unit, account manager and service line, with the
    counts behind each, and the NPS trend per unit."""
    now = timezone.now()
    days = min(parse_id(request.GET.get("days", "")) or 365, MAX_DAYS)
    since = now - timedelta(days=days)
    answered, sent = queries.response_rate(request.user, since=since, until=now)
    trend = queries.nps_trend(request.user, until=now)
    chart = None
    if trend:
        quarters = [q for q, _ in next(iter(trend.values()))]
        chart = line_chart(
            title="NPS per unit, by quarter",
            x_labels=quarters,
            series=[
                Series(unit, tuple(f.score if f else None for _, f in points))
                for unit, points in trend.items()
            ],
            y_label="NPS",
            y_limits=(-100, 100),
        )
    context = {
        "days": days,
        "answered": answered,
        "sent": sent,
        "groups": {
            label: queries.figures_by(request.user, key, since=since, until=now)
            for key, label in (
                ("unit", "Business unit"),
                ("account_manager", "Account manager"),
                ("service_line", "Service line"),
            )
        },
        "chart": chart,
        "follow_ups": FollowUp.objects.filter(
            client__in=visible_clients(request.user), state="open"
        ).select_related("client", "owner"),
        "surveys": queries.with_about(queries.recent_surveys(request.user)[:20]),
        "observations": queries.visible_observations(request.user)[:20],
        "definitions": SurveyDefinition.objects.filter(is_active=True),
    }
    return render(request, "voice/overview.html", context)


def _refused(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for field, problems in errors_by_field(error).items():
            for problem in problems:
                messages.error(request, f"{field}: {problem}")
    else:
        messages.error(request, str(error))


@login_required
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(visible_clients(request.user), pk=pk)
    definition = SurveyDefinition.objects.filter(pk=request.POST.get("definition") or 0).first()
    if definition is None:
        messages.error(request, "definition: Choose a survey.")
        return redirect("clients:detail", pk=client.pk)
    try:
        survey = services.send_survey(
            by=request.user,
            definition=definition,
            client=client,
            service_line=request.POST.get("service_line", ""),
        )
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    else:
        messages.success(
            request, f"{definition.name} sent to {survey.invitations.count()} contacts."
        )
    return redirect("clients:detail", pk=client.pk)


@login_required
@require_POST
def observe(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(visible_clients(request.user), pk=pk)
    try:
        services.record_observation(
            by=request.user,
            client=client,
            category=request.POST.get("category", ""),
            sentiment=request.POST.get("sentiment", ""),
            text=request.POST.get("text", ""),
        )
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    else:
        messages.success(request, "Observation recorded.")
    return redirect("clients:detail", pk=client.pk)


@login_required
@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(
        FollowUp.objects.filter(client__in=visible_clients(request.user)), pk=pk
    )
    try:
        services.complete_follow_up(
            by=request.user, follow_up=follow_up, note=request.POST.get("note", "")
        )
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    return redirect("voice:overview")


@login_required
def session(request: HttpRequest, pk: int) -> HttpResponse:
    """A feedback meeting: its agenda (assembled now, or as it stood when held), the
    minutes and action items."""
    row = get_object_or_404(
        FeedbackSession.objects.filter(
            series__client__in=visible_clients(request.user)
        ).select_related("series__client"),
        pk=pk,
    )
    if request.method == "POST":
        plans = []
        title = request.POST.get("action_title", "").strip()
        if title:
            owner = User.objects.filter(pk=request.POST.get("action_owner") or 0).first()
            due = parse_date(request.POST.get("action_due", "") or "")
            if owner is None or due is None:
                messages.error(request, "actions: give the action item an owner and a due date.")
                return redirect("voice:session", pk=row.pk)
            plans.append(services.ActionPlan(title, owner, due))
        try:
            services.hold_feedback_meeting(
                by=request.user, session=row, minutes=request.POST.get("minutes", ""), actions=plans
            )
        except (ValidationError, PermissionDenied) as error:
            _refused(request, error)
        return redirect("voice:session", pk=row.pk)
    built = row.agenda if row.state == "held" else [s.as_dict() for s in agenda.assemble(row)]
    context = {
        "session": row,
        "agenda": built,
        "actions": ActionItem.objects.filter(series=row.series).select_related("owner"),
        "people": User.objects.filter(
            is_active=True, business_units=row.series.client.business_unit_id
        ),
        "categories": ObservationCategory.choices,
        "sentiments": Sentiment.choices,
    }
    return render(request, "voice/session.html", context)


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        ActionItem.objects.filter(series__client__in=visible_clients(request.user)), pk=pk
    )
    try:
        services.complete_action_item(by=request.user, action=action)
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
    latest = action.series.sessions.order_by("-starts_at").first()
    return redirect("voice:session", pk=latest.pk if latest else action.session_id)
