"""Pages of end-customer data: data sets, sources with their mapping and imports
(progress polled with htmx), segments with charts, customers, merges (split a wrong
one) and channel advice with its export.

Thin: find the row among those the person sees (another unit's answers 404), call
the service, render. Changes need `audience.analyse` (refused in the services)."""

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from retainops.audience import advice, analysis, ingest, resolve, services
from retainops.audience.choices import Channel, Decision, Field, Segment
from retainops.audience.forms import DataSetForm, RuleForm, SourceForm, ThresholdForm, UploadForm
from retainops.audience.models import DataSet, ImportRun, Source
from retainops.audience.queries import visible_data_sets
from retainops.clients.queries import visible_clients
from retainops.core.capabilities import Capability
from retainops.core.charts import Series, bar_chart, line_chart
from retainops.core.forms import attempt
from retainops.core.pagination import page_or_404


def _data_set(request: HttpRequest, pk: int) -> DataSet:
    return get_object_or_404(visible_data_sets(request.user), pk=pk)


def _source(request: HttpRequest, pk: int) -> Source:
    return get_object_or_404(
        Source.objects.filter(data_set__in=visible_data_sets(request.user)).select_related(
            "data_set__client"
        ),
        pk=pk,
    )


def _can(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.has_capability(Capability.ANALYSE_AUDIENCE))


@login_required
def data_sets(request: HttpRequest) -> HttpResponse:
    found = visible_data_sets(request.user).order_by("client__name", "name")
    page = page_or_404(found, request.GET.get("page"))
    clients = visible_clients(request.user).order_by("name")[:500] if _can(request) else []
    return render(
        request, "audience/list.html", {"page": page, "clients": clients, "can": _can(request)}
    )


@login_required
@require_POST
def add_data_set(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(visible_clients(request.user), pk=pk)
    form = DataSetForm(request.POST)
    if form.is_valid():
        made = attempt(
            form,
            lambda: services.create_data_set(by=request.user, client=client, **form.cleaned_data),
        )
        if made is not None:
            return redirect("audience:detail", made.pk)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{field}: {error}")
    return redirect("audience:list")


@login_required
def data_set(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    runs = ImportRun.objects.filter(source__data_set=found).select_related("source")
    context = {
        "data_set": found,
        "sources": found.sources.prefetch_related("columns"),
        "runs": page_or_404(runs, request.GET.get("runs")),
        "source_form": SourceForm(),
        "summary": analysis.segment_summary(found.pk),
        "threshold_form": ThresholdForm(initial={"match_threshold": found.match_threshold}),
        "can": _can(request),
    }
    return render(request, "audience/detail.html", context)


@login_required
@require_POST
def add_source(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    form = SourceForm(request.POST)
    if form.is_valid():
        made = attempt(
            form, lambda: services.add_source(by=request.user, data_set=found, **form.cleaned_data)
        )
        if made is not None:
            return redirect("audience:source", made.pk)
    return render(
        request,
        "audience/detail.html",
        {
            "data_set": found,
            "sources": found.sources.all(),
            "runs": [],
            "source_form": form,
            "summary": analysis.segment_summary(found.pk),
            "can": _can(request),
        },
        status=400,
    )


@login_required
def source(request: HttpRequest, pk: int) -> HttpResponse:
    found = _source(request, pk)
    context = {
        "source": found,
        "mapping": found.mapping(),
        "runs": found.runs.all()[:20],
        "upload_form": UploadForm(),
        "can": _can(request),
        "fields": Field.choices,
    }
    return render(request, "audience/source.html", context)


def _pending_path(name: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise Http404
    path = services.uploads_dir() / name
    if not path.exists():
        raise Http404
    return path


def _guess(field: str, columns: list[str], saved: dict[str, str]) -> str:
    if saved.get(field) in columns:
        return saved[field]
    words = {
        "order_id": ("order", "id"),
        "ordered_on": ("date",),
        "customer_name": ("name",),
        "email": ("mail",),
        "phone": ("phone", "tel"),
        "address": ("address", "street"),
        "item": ("item", "product", "sku"),
        "quantity": ("qty", "quantity"),
        "amount": ("amount", "total", "price"),
        "currency": ("currency",),
    }[field]
    for column in columns:
        lowered = column.lower()
        if all(w in lowered for w in words) or (len(words) > 1 and lowered == field):
            return column
    for column in columns:
        if any(w in column.lower() for w in words[:1]):
            return column
    return ""


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep the file, then ask for (or confirm) the mapping of its columns."""
    found = _source(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return redirect("audience:source", found.pk)
    upload_file = form.cleaned_data["file"]
    if upload_file.size > settings.AUDIENCE_UPLOAD_MAX_MB * 1024 * 1024:
        messages.error(request, f"The file is larger than {settings.AUDIENCE_UPLOAD_MAX_MB} MB.")
        return redirect("audience:source", found.pk)
    suffix = Path(upload_file.name).suffix.lower()
    services.uploads_dir().mkdir(parents=True, exist_ok=True)
    stored = f"pending-{uuid.uuid4().hex}{suffix}"
    with (services.uploads_dir() / stored).open("wb") as target:
        for chunk in upload_file.chunks():
            target.write(chunk)
    return redirect(
        f"{request.build_absolute_uri('mapping')}?file={stored}&name={upload_file.name}"
    )


@login_required
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    found = _source(request, pk)
    stored = request.GET.get("file") or request.POST.get("file", "")
    name = request.GET.get("name") or request.POST.get("name", "upload")
    path = _pending_path(stored)
    try:
        columns = ingest.header_of(path, found)
    except ingest.FileRefused as error:
        messages.error(request, str(error))
        return redirect("audience:source", found.pk)
    saved = found.mapping()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        chosen = {field: request.POST.get(field, "") for field, _ in Field.choices}
        user: Any = request.user
        try:
            services.save_mapping(by=request.user, source=found, mapping=chosen)
            final = services.uploads_dir() / stored.removeprefix("pending-")
            path.rename(final)
            run = ImportRun.objects.create(
                source=found, file_name=name[:255], stored_as=final.name, requested_by=user
            )
        except ValidationError as error:
            errors = error.message_dict
            saved = chosen
        else:
            return redirect("audience:run", run.pk)
    rows = [
        (field, label, _guess(field, columns, saved), errors.get(field, []))
        for field, label in Field.choices
    ]
    return render(
        request,
        "audience/mapping.html",
        {"source": found, "columns": columns, "rows": rows, "file": stored, "name": name},
        status=400 if errors else 200,
    )


@login_required
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    runs = ImportRun.objects.filter(source__data_set__in=visible_data_sets(request.user))
    run = get_object_or_404(runs.select_related("source__data_set"), pk=pk)
    template = "audience/_run.html" if request.htmx else "audience/run.html"  # type: ignore[attr-defined]
    return render(request, template, {"run": run})


@login_required
@require_POST
def analyse(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        services.update_data_set(by=request.user, data_set=found, changes=form.cleaned_data)
        done = services.analyse(found, by=request.user)
        note = f" {done.resolution.note}" if done.resolution.note else ""
        messages.success(
            request,
            f"{done.resolution.records} records are {done.resolution.customers} customers "
            f"({done.resolution.probabilistic_links} probable matches).{note}",
        )
    else:
        messages.error(request, "The match threshold is a probability from 0.5 to 0.9999.")
    return redirect("audience:detail", found.pk)


@login_required
def segments(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    summary = analysis.segment_summary(found.pk)
    labels = [row["label"] for row in summary]
    counts = bar_chart(
        title="Customers per segment",
        categories=labels,
        series=[Series.of("Customers", [r["customers"] for r in summary])],
        y_label="customers",
    )
    revenue = bar_chart(
        title="Revenue per segment",
        categories=labels,
        series=[Series.of(f"Revenue ({found.currency})", [r["revenue"] for r in summary])],
        y_label=found.currency,
    )
    days, over_time = analysis.segments_over_time(
        found.pk, recent_days=found.recent_days, cutoffs=found.rfm_cutoffs
    )
    timeline = (
        line_chart(
            title="Customers per segment at each quarter end",
            x_labels=days,
            series=[Series.of(Segment(code).label, values) for code, values in over_time.items()],
            y_label="customers",
        )
        if days
        else None
    )
    months, monthly = analysis.monthly_revenue_by_segment(found.pk)
    per_segment = (
        [
            line_chart(
                title=f"{Segment(code).label}: revenue per month",
                x_labels=months,
                series=[Series.of(Segment(code).label, values)],
                y_label=found.currency,
            )
            for code, values in monthly.items()
            if any(values)
        ]
        if months
        else []
    )
    return render(
        request,
        "audience/segments.html",
        {
            "data_set": found,
            "summary": summary,
            "counts": counts,
            "revenue": revenue,
            "timeline": timeline,
            "per_segment": per_segment,
        },
    )


@login_required
def customer_list(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    segment = request.GET.get("segment", "")
    if segment and segment not in Segment.values:
        segment = ""
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    size = settings.PAGE_SIZE
    total, rows = analysis.customers(
        found.pk, segment=segment, limit=size, offset=(number - 1) * size
    )
    pages = max(1, -(-total // size))
    return render(
        request,
        "audience/customers.html",
        {
            "data_set": found,
            "rows": rows,
            "total": total,
            "number": number,
            "pages": pages,
            "segment": segment,
            "segments": Segment.choices,
        },
    )


@login_required
def merges(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    size = 20
    total = resolve.merged_count(found.pk)
    rows = resolve.merged_customers(found.pk, limit=size, offset=(number - 1) * size)
    sources = {s.pk: s.name for s in found.sources.all()}
    for row in rows:
        for record in row["records"]:
            record["source"] = sources.get(record["source_id"], "?")
    return render(
        request,
        "audience/merges.html",
        {
            "data_set": found,
            "rows": rows,
            "total": total,
            "number": number,
            "pages": max(1, -(-total // size)),
            "decisions": found.decisions.all()[:50],
            "can": _can(request),
        },
    )


@login_required
@require_POST
def split(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    try:
        services.decide(
            by=request.user,
            data_set=found,
            decision=Decision.SPLIT,
            record_key=request.POST.get("record_key", ""),
            reason=request.POST.get("reason", "")[:300],
        )
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect("audience:merges", found.pk)
    services.analyse(found, by=request.user)
    messages.success(request, "Split: the record is a customer of its own now.")
    return redirect("audience:merges", found.pk)


@login_required
def advice_page(request: HttpRequest, pk: int) -> HttpResponse:
    found = _data_set(request, pk)
    form = RuleForm()
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            made = attempt(
                form,
                lambda: services.save_rule(by=request.user, data_set=found, **form.cleaned_data),
            )
            if made is not None:
                return redirect("audience:advice", found.pk)
        status = 400
    plans = advice.plan(found)
    chart = (
        bar_chart(
            title="Campaign per channel",
            categories=[p.label for p in plans],
            series=[
                Series.of("Cost", [p.cost for p in plans]),
                Series.of("Expected revenue", [p.expected_revenue for p in plans]),
            ],
            y_label=found.currency,
        )
        if plans
        else None
    )
    return render(
        request,
        "audience/advice.html",
        {
            "data_set": found,
            "rules": found.rules.all(),
            "plans": plans,
            "form": form,
            "chart": chart,
            "costs": advice.costs(found),
            "can": _can(request),
        },
        status=status,
    )


@login_required
def export(request: HttpRequest, pk: int, channel: str) -> StreamingHttpResponse:
    found = _data_set(request, pk)
    if channel not in Channel.values:
        raise Http404
    response = StreamingHttpResponse(
        advice.export_csv(found, channel), content_type="text/csv; charset=utf-8"
    )
    safe = "".join(c for c in found.name if c.isalnum() or c in "-_") or "customers"
    response["Content-Disposition"] = f'attachment; filename="{safe}-{channel}.csv"'
    return response
