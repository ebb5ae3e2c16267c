"""Pages: the marketing calendar (month or week, by unit), a drop with its gates, planning
a drop, and the week's staffing heat map. Thin: access, a service, a render."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.charts import heat_map
from retainops.core.models import BusinessUnit
from retainops.drops import forecast, queries, services
from retainops.drops.choices import DropChannel
from retainops.onboarding.queries import visible_programs


def _day(request: HttpRequest) -> date:
    return parse_date(request.GET.get("day", "")) or timezone.localdate()


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _day(request)
    if view == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    unit = request.GET.get("unit", "")
    drops = queries.drops_for(request.user).filter(
        drop_at__gte=timezone.make_aware(datetime.combine(first, time.min)),
        drop_at__lt=timezone.make_aware(datetime.combine(last, time.min)),
    )
    if unit.isdigit():
        drops = drops.filter(program__client__business_unit_id=int(unit))
    by_day: dict[date, list[Any]] = {}
    for drop in drops:
        by_day.setdefault(timezone.localdate(drop.drop_at), []).append(drop)
    days = [(first + timedelta(days=i)) for i in range((last - first).days)]
    return render(
        request,
        "drops/calendar.html",
        {
            "view": view,
            "first": first,
            "days": [(d, by_day.get(d, [])) for d in days],
            "previous": (first - timedelta(days=1)).isoformat(),
            "next": last.isoformat(),
            "units": BusinessUnit.objects.all(),
            "unit": unit,
            "empty": not by_day,
            "can_plan": request.user.has_capability(Capability.PLAN_DROPS),  # type: ignore[union-attr]
        },
    )


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    require_capability(request.user, Capability.PLAN_DROPS)
    programs = visible_programs(request.user).select_related("client")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = request.POST
        program = programs.filter(pk=data.get("program") or 0).first()
        drop_at = parse_datetime(data.get("drop_at", ""))
        if drop_at is not None and timezone.is_naive(drop_at):
            drop_at = timezone.make_aware(drop_at)
        try:
            if program is None:
                raise ValidationError({"program": ["Choose a program."]})
            drop = services.plan_drop(
                program=program,
                by=request.user,
                name=data.get("name", ""),
                channel=data.get("channel", ""),
                drop_at=drop_at,  # type: ignore[arg-type]
                audience_size=int(data.get("audience_size") or -1),
                expected_response_rate=float(data.get("expected_response_rate") or -1) / 100,
            )
            return redirect("drops:detail", drop.pk)
        except ValidationError as error:
            errors = error.message_dict
        except ValueError:
            errors = {"audience_size": ["Give numbers for the audience and the response rate."]}
    return render(
        request,
        "drops/plan.html",
        {
            "programs": programs,
            "channels": DropChannel.choices,
            "errors": errors,
            "data": request.POST,
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    drop = get_object_or_404(
        queries.drops_for(request.user).prefetch_related("gates", "activity"), pk=pk
    )
    return render(
        request,
        "drops/detail.html",
        {
            "drop": drop,
            "result": queries.result_of(drop),
            "can_override": request.user.has_capability(Capability.OVERRIDE_DROP_READINESS),  # type: ignore[union-attr]
        },
    )


@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    drop = get_object_or_404(queries.drops_for(request.user), pk=pk)
    if request.method != "POST":
        return redirect("drops:detail", pk)
    note = request.POST.get("note", "")
    try:
        if action == "test-call":
            services.record_test_call(drop=drop, by=request.user, note=note)
        elif action == "pass":
            services.pass_gate(
                drop=drop, gate=request.POST.get("gate", ""), by=request.user, note=note
            )
        elif action == "ready":
            services.mark_ready(
                drop=drop, by=request.user, override_reason=request.POST.get("reason", "")
            )
        elif action == "dropped":
            services.mark_dropped(drop=drop, by=request.user)
        else:
            raise PermissionDenied("Unknown action.")
        messages.success(request, "Done.")
    except ValidationError as error:
        for texts in error.message_dict.values():
            for text in texts:
                messages.error(request, text)
    return redirect("drops:detail", pk)


@login_required
def staffing(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    first = day - timedelta(days=day.weekday())
    unit = request.GET.get("unit", "")
    week = forecast.week_staffing(
        timezone.make_aware(datetime.combine(first, time.min)),
        unit_id=int(unit) if unit.isdigit() else None,
    )
    chart = None
    if not week.is_empty:
        days = [(first + timedelta(days=i)).strftime("%a %d") for i in range(7)]
        rows = [f"{h // 2:02d}:{(h % 2) * 30:02d}" for h in range(48)]
        values = [[week.intervals[d * 48 + h].gap for d in range(7)] for h in range(48)]
        chart = heat_map(
            title="Scheduled minus needed agents, per half hour",
            row_labels=rows,
            column_labels=days,
            values=values,
            value_label="agents (negative: short)",
        )
    return render(
        request,
        "drops/staffing.html",
        {
            "week": week,
            "chart": chart,
            "first": first,
            "short": week.short_intervals,
            "previous": (first - timedelta(days=7)).isoformat(),
            "next": (first + timedelta(days=7)).isoformat(),
            "units": BusinessUnit.objects.all(),
            "unit": unit,
        },
    )
