"""Pages: the marketing calendar (month or week, by unit), a drop with its gates, planning
a drop, the week's staffing heat map, the roster (and its CSV import), the response
profiles, and the training packs with their acknowledgements. Thin: access, a service, a render."""

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
from retainops.core.schemas import parse_id
from retainops.drops import forecast, queries, services
from retainops.drops.choices import DropChannel
from retainops.drops.models import Agent, ResponseProfile, Shift, TrainingPack
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
    if unit_id := parse_id(unit):
        drops = drops.filter(program__client__business_unit_id=unit_id)
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
        unit_id=parse_id(unit),
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


def _problems(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"file": error.messages}


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    """The service team's shifts from today for two weeks, and importing more from CSV."""
    require_capability(request.user, Capability.PLAN_DROPS)
    errors: dict[str, list[str]] = {}
    text = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        text = upload.read().decode("utf-8-sig", "replace") if upload else ""
        text = text or request.POST.get("text", "")
        try:
            added = services.import_roster(by=request.user, text=text)
            messages.success(request, f"{len(added)} shifts imported.")
            return redirect("drops:roster")
        except ValidationError as error:
            errors = _problems(error)
    day = _day(request)
    start = timezone.make_aware(datetime.combine(day, time.min))
    shifts = (
        Shift.objects.filter(ends_at__gt=start, starts_at__lt=start + timedelta(days=14))
        .select_related("agent")
        .order_by("starts_at", "agent__name")
    )
    return render(
        request,
        "drops/roster.html",
        {
            "shifts": shifts,
            "agents": Agent.objects.filter(is_active=True),
            "day": day,
            "errors": errors,
            "text": text,
        },
    )


@login_required
def profiles(request: HttpRequest) -> HttpResponse:
    """How responses to each kind of drop spread and split; editable by planners."""
    can_edit = request.user.has_capability(Capability.PLAN_DROPS)  # type: ignore[union-attr]
    errors: dict[str, list[str]] = {}
    editing = request.POST.get("channel", "")
    if request.method == "POST":
        require_capability(request.user, Capability.PLAN_DROPS)
        data = request.POST
        try:
            split = [float(data.get(k) or 0) for k in ("phone", "chat", "email")]
            total = sum(split)
            # Percentages shown to a tenth may add up to 99.9 or 100.1: read them as shares.
            scale = total if total > 0 and abs(total - 100) <= 0.5 else 100
            phone, chat, email = (part / scale for part in split)
            services.save_profile(
                channel=editing,
                by=request.user,
                half_life_hours=float(data.get("half_life_hours") or -1),
                span_hours=int(data.get("span_hours") or 0),
                phone=phone,
                chat=chat,
                email=email,
            )
            messages.success(request, "Profile saved.")
            return redirect("drops:profiles")
        except ValidationError as error:
            errors = error.message_dict
        except ValueError:
            errors = {"half_life_hours": ["Give numbers for the decay, the span and the split."]}
        except ResponseProfile.DoesNotExist:
            errors = {"channel": ["Choose a drop channel."]}
    shown = list(ResponseProfile.objects.all())
    for profile in shown:
        profile.percent = {str(k): round(v * 100, 1) for k, v in profile.split().items()}  # type: ignore[attr-defined]
    return render(
        request,
        "drops/profiles.html",
        {
            "profiles": shown,
            "can_edit": can_edit,
            "errors": errors,
            "editing": editing,
        },
    )


@login_required
def training(request: HttpRequest) -> HttpResponse:
    """Every visible program with its latest training pack and how many acknowledged it."""
    programs = visible_programs(request.user).select_related("client").order_by("client__name")
    rows = []
    for program in programs:
        pack = services.latest_pack(program)
        acks = pack.acknowledgements.count() if pack else 0
        rows.append({"program": program, "pack": pack, "acknowledged": acks})
    return render(
        request,
        "drops/training.html",
        {"rows": rows, "agents": Agent.objects.filter(is_active=True).count()},
    )


@login_required
def training_pack(request: HttpRequest, program_id: int) -> HttpResponse:
    """A program's pack: publish a new version; each agent's acknowledgement."""
    program = get_object_or_404(
        visible_programs(request.user).select_related("client"), pk=program_id
    )
    can_plan = request.user.has_capability(Capability.PLAN_DROPS)  # type: ignore[union-attr]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = request.POST
        try:
            if data.get("action") == "acknowledge":
                pack = get_object_or_404(TrainingPack, program=program, pk=data.get("pack") or 0)
                agent = get_object_or_404(Agent, pk=data.get("agent") or 0)
                services.acknowledge_pack(pack=pack, agent=agent, by=request.user)
                messages.success(request, f"{agent.name} acknowledged v{pack.version}.")
            else:
                pack = services.publish_training_pack(
                    program=program,
                    by=request.user,
                    scripts=data.get("scripts", ""),
                    scenarios=data.get("scenarios", ""),
                    faqs=data.get("faqs", ""),
                )
                messages.success(request, f"Version {pack.version} published.")
            return redirect("drops:training_pack", program.pk)
        except ValidationError as error:
            errors = error.message_dict
    latest = services.latest_pack(program)
    acknowledged = (
        set(latest.acknowledgements.values_list("agent_id", flat=True)) if latest else set()
    )
    agents = [
        {
            "agent": a,
            "acknowledged": a.pk in acknowledged,
            "may_acknowledge": can_plan or a.user_id == request.user.pk,
        }
        for a in Agent.objects.filter(is_active=True)
    ]
    return render(
        request,
        "drops/training_pack.html",
        {
            "program": program,
            "pack": latest,
            "versions": TrainingPack.objects.filter(program=program),
            "agents": agents,
            "can_plan": can_plan,
            "errors": errors,
            "draft": {
                part: request.POST.get(part, getattr(latest, part, ""))
                for part in ("scripts", "scenarios", "faqs")
            },
        },
    )
