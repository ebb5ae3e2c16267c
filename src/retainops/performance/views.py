"""Pages of performance (thin: find what the person may see, call a service, render)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from retainops.clients.models import ServiceLine
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import errors_by_field
from retainops.core.models import ImportJob
from retainops.core.schemas import parse_id
from retainops.onboarding.models import PortalLink, Program
from retainops.onboarding.portal_views import render_portal, resolved_link
from retainops.onboarding.queries import visible_programs
from retainops.performance import services
from retainops.performance.choices import Checkpoint, KpiUnit
from retainops.performance.measures import expectation
from retainops.performance.models import Kpi, MetricSource, ProgramKpi
from retainops.performance.reports import build_report, period_of, report_pdf


def _program(request: HttpRequest, pk: int) -> Program:
    return get_object_or_404(visible_programs(request.user).select_related("client"), pk=pk)


def _rows(program: Program) -> list[dict[str, Any]]:
    """One row per KPI of the program's lines: its default, or a target already agreed."""
    today = timezone.localdate()
    agreed = {
        (t.service_id, t.kpi_id): t
        for t in ProgramKpi.objects.filter(program=program).select_related("agreed_by")
    }
    pairs = services.default_kpis(program)
    seen = {(s.pk, k.pk) for s, k in pairs}
    extra = ProgramKpi.objects.filter(program=program).select_related("service", "kpi")
    pairs += [(t.service, t.kpi) for t in extra if (t.service_id, t.kpi_id) not in seen]
    lines = {line.service_id: line for line in program.lines.select_related("program__client")}
    rows = []
    for service, kpi in pairs:
        current = agreed.get((service.pk, kpi.pk))
        checkpoint = current.checkpoint if current else 90
        rows.append(
            {
                "service": service,
                "kpi": kpi,
                "field": f"{service.pk}-{kpi.pk}",
                "target": current,
                "expectation": expectation(
                    lines[service.pk], kpi, today=today, checkpoint=checkpoint
                ),
            }
        )
    return rows


@login_required
def program_kpis(request: HttpRequest, pk: int) -> HttpResponse:
    """The program's KPIs: targets agreed at sale against comparable programs."""
    program = _program(request, pk)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        targets = []
        for row in _rows(program):
            raw = request.POST.get(f"target-{row['field']}", "").strip()
            if not raw:
                continue
            targets.append(
                services.TargetInput(
                    service=row["service"],
                    kpi=row["kpi"],
                    target=raw,
                    checkpoint=int(request.POST.get(f"checkpoint-{row['field']}", "90") or 90),
                    reason=request.POST.get(f"reason-{row['field']}", ""),
                )
            )
        try:
            saved = services.set_targets(
                by=request.user,
                program=program,
                targets=targets,
                agreed_with=request.POST.get("agreed_with", ""),
            )
        except ValidationError as error:
            errors = errors_by_field(error)
        else:
            flagged = sum(1 for t in saved if t.over_promise)
            messages.success(
                request,
                f"{len(saved)} target{'s' if len(saved) != 1 else ''} agreed"
                + (
                    f"; {flagged} beyond the 75th percentile of comparable programs."
                    if flagged
                    else "."
                ),
            )
            return redirect("performance:program", pk=program.pk)
    rows = _rows(program)
    for row in rows:
        prefix = f"{row['service'].code}.{row['kpi'].key}."
        row["errors"] = [m for k, ms in errors.items() if k.startswith(prefix) for m in ms]
        row["posted"] = request.POST.get(f"target-{row['field']}", "")
        row["posted_reason"] = request.POST.get(f"reason-{row['field']}", "")
    context = {
        "program": program,
        "client": program.client,
        "rows": rows,
        "checkpoints": Checkpoint.choices,
        "errors": errors,
        # A refused submission keeps what was typed.
        "agreed_with": request.POST.get("agreed_with", ""),
        "can_edit": getattr(request.user, "has_capability", lambda _c: False)(
            Capability.EDIT_CONTRACT
        ),
    }
    return render(request, "performance/program.html", context, status=400 if errors else 200)


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    program = _program(request, pk)
    today = timezone.localdate()
    built = build_report(program, period=period_of(request.GET.get("period"), today), today=today)
    return render(request, "performance/report.html", {"report": built, "program": program})


@login_required
def report_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    program = _program(request, pk)
    today = timezone.localdate()
    built = build_report(program, period=period_of(request.GET.get("period"), today), today=today)
    response = HttpResponse(report_pdf(built), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="report-{program.pk}-{built.period:%Y-%m}.pdf"'
    )
    return response


@login_required
@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    program = _program(request, pk)
    period = period_of(request.POST.get("period"), timezone.localdate())
    try:
        services.write_note(
            by=request.user, program=program, period=period, text=request.POST.get("text", "")
        )
        messages.success(request, "Note saved in the report.")
    except ValidationError as error:
        messages.error(request, " ".join(m for ms in errors_by_field(error).values() for m in ms))
    return redirect(f"/performance/programs/{program.pk}/report?period={period:%Y-%m}")


def _chosen_services(values: list[str]) -> list[ServiceLine]:
    """The service lines ticked; a value that is not an id is refused, naming the field."""
    ids = [pk for value in values if (pk := parse_id(value))]
    if len(ids) != len(values):
        raise ValidationError({"services": ["Choose service lines from the list."]})
    return list(ServiceLine.objects.filter(pk__in=ids))


@login_required
def kpis(request: HttpRequest) -> HttpResponse:
    """The KPI catalogue; administrators add KPIs with their formulas."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.create_kpi(
                by=request.user,
                key=request.POST.get("key", "").strip(),
                name=request.POST.get("name", "").strip(),
                formula=request.POST.get("formula", ""),
                unit=request.POST.get("unit", KpiUnit.COUNT),
                higher_is_better=request.POST.get("higher_is_better") == "on",
                services=_chosen_services(request.POST.getlist("services")),
            )
            messages.success(request, "KPI added to the catalogue.")
            return redirect("performance:kpis")
        except ValidationError as error:
            errors = errors_by_field(error)
    context = {
        "kpis": Kpi.objects.prefetch_related("targets"),
        "units": KpiUnit.choices,
        "services": ServiceLine.objects.filter(is_active=True),
        "errors": errors,
        "posted": request.POST,
    }
    return render(request, "performance/kpis.html", context, status=400 if errors else 200)


@login_required
def import_data(request: HttpRequest) -> HttpResponse:
    """Upload a platform export; it is read through its source's saved mapping. "Check
    only" reads every row here (files are capped); an import is queued for the worker
    after the cheap checks, and the page follows its job."""
    require_capability(request.user, Capability.IMPORT_DATA)
    result = None
    sources = MetricSource.objects.all()
    if request.method == "POST":
        source = get_object_or_404(MetricSource, pk=parse_id(request.POST.get("source")) or 0)
        upload = request.FILES.get("file")
        if upload is not None and request.POST.get("dry_run") == "on":
            result = services.import_metrics_file(
                by=request.user,
                source=source,
                content=upload.read(),
                filename=upload.name or "",
                dry_run=True,
            )
        elif upload is not None:
            queued = services.queue_metrics_file(
                by=request.user, source=source, content=upload.read(), filename=upload.name or ""
            )
            if isinstance(queued, ImportJob):
                return redirect("import_job", queued.pk)
            result = queued
    status = 400 if result is not None and not result.ok else 200
    return render(
        request, "performance/import.html", {"sources": sources, "result": result}, status=status
    )


@resolved_link
def portal_report(request: HttpRequest, link: PortalLink) -> HttpResponse:
    today = timezone.localdate()
    built = build_report(
        link.program, period=period_of(request.GET.get("period"), today), today=today
    )
    return render_portal(
        request, "performance/portal_report.html", {"report": built, "program": link.program}
    )
