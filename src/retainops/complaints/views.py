"""Pages of complaints: the list with each one's clock, one complaint with its actions,
the raise form, improvement actions, and the recurring themes.

Thin, like the other pages: find the complaint among those the person may see (another
unit's answers 404), call the service that owns the rule, render. A refused action is
refused inside the service (PermissionDenied: the 403 page); an invalid one comes back on
its form with status 400, or is flashed on the complaint's page.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from retainops.clients.queries import visible_clients
from retainops.complaints import queries, services
from retainops.complaints.choices import ComplaintStatus
from retainops.complaints.clocks import Clock, read_clock
from retainops.complaints.forms import (
    ActionForm,
    FilterForm,
    NoteForm,
    RaiseForm,
    ReassignForm,
    ReopenForm,
    ResolveForm,
)
from retainops.complaints.models import Complaint, ImprovementAction
from retainops.complaints.services import ActionPlan
from retainops.complaints.themes import theme_summaries
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.forms import attempt, run_and_flash
from retainops.core.lists import status_links
from retainops.core.pagination import page_or_404

# The one-step moves a button makes, with what the page says when it worked.
STEPS: dict[str, tuple[Callable[..., Complaint], str]] = {
    "acknowledge": (
        services.acknowledge_complaint,
        "Acknowledged: the first response is recorded.",
    ),
    "start": (services.start_work, "Work started."),
    "wait": (services.wait_on_client, "Waiting on the client: the clock is paused."),
    "resume": (services.resume_work, "The clock runs again."),
    "close": (services.close_complaint, "Closed."),
}


def _visible(request: HttpRequest, pk: int) -> Complaint:
    found = queries.with_clock_data(queries.visible_complaints(request.user))
    return get_object_or_404(found, pk=pk)


def _detail_url(complaint: Complaint) -> str:
    return reverse("complaints:detail", args=[complaint.pk])


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    wanted = form.filters()
    found = queries.filter_complaints(
        queries.visible_complaints(request.user), wanted, request.user
    )
    page = page_or_404(queries.with_clock_data(found), request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": queries.rows_with_clocks(list(page.object_list)),
        "filtered": wanted != queries.ComplaintFilter(),
        "query": _query_without_page(request),
        "status_links": status_links(
            request.GET, ComplaintStatus.choices, queries.status_counts(request.user, wanted)
        ),
    }
    return render(request, "complaints/list.html", context)


def _form_page(request: HttpRequest, form: forms.Form, *, title: str, back: str) -> HttpResponse:
    context = {"form": form, "title": title, "back_url": back, "submit_label": "Save"}
    return render(request, "form.html", context, status=400 if form.errors else 200)


@login_required
def complaint_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(visible_clients(request.user), pk=pk)
    require_capability(request.user, Capability.HANDLE_COMPLAINTS)
    form = RaiseForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        complaint = attempt(
            form, lambda: services.raise_complaint(by=request.user, client=client, **data)
        )
        if complaint is not None:
            messages.success(request, "The complaint is logged and its clock is running.")
            return redirect(_detail_url(complaint))
    back = reverse("clients:detail", args=[client.pk])
    return _form_page(request, form, title=f"Log a complaint from {client.name}", back=back)


@login_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    return _render_detail(request, complaint)


def _render_detail(
    request: HttpRequest, complaint: Complaint, status: int = 200, **forms_given: Any
) -> HttpResponse:
    now = timezone.now()
    client = complaint.client
    context = {
        "complaint": complaint,
        "client": client,
        "response": read_clock(complaint, Clock.RESPONSE, now),
        "resolution": read_clock(complaint, Clock.RESOLUTION, now),
        "activity": complaint.activity.select_related("by"),
        "actions": complaint.actions.select_related("owner"),
        "can_handle": request.user.has_capability(Capability.HANDLE_COMPLAINTS),  # type: ignore[union-attr]
        "note_form": NoteForm(),
        "resolve_form": forms_given.get("resolve_form") or ResolveForm(client=client),
        "reopen_form": forms_given.get("reopen_form") or ReopenForm(),
        "reassign_form": ReassignForm(client=client, initial={"owner": complaint.owner_id}),
        "action_form": forms_given.get("action_form") or ActionForm(client=client),
    }
    return render(request, "complaints/detail.html", context, status=status)


@login_required
@require_POST
def complaint_move(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    complaint = _visible(request, pk)
    if step not in STEPS:
        raise Http404("No such step.")
    operation, success = STEPS[step]
    note = request.POST.get("note", "")
    run_and_flash(
        request, lambda: operation(complaint=complaint, by=request.user, note=note), success
    )
    return redirect(_detail_url(complaint))


@login_required
@require_POST
def complaint_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    form = ResolveForm(request.POST, client=complaint.client)
    if form.is_valid():
        data = form.cleaned_data
        plans = []
        if data["action_title"]:
            plans = [ActionPlan(data["action_title"], data["action_owner"], data["action_due"])]
        done = attempt(
            form,
            lambda: services.resolve_complaint(
                complaint=complaint,
                by=request.user,
                root_cause=data["root_cause"],
                resolution=data["resolution"],
                actions=plans,
            ),
        )
        if done is not None:
            messages.success(request, "Resolved.")
            return redirect(_detail_url(complaint))
    return _render_detail(request, complaint, status=400, resolve_form=form)


@login_required
@require_POST
def complaint_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        done = attempt(
            form,
            lambda: services.reopen_complaint(complaint=complaint, by=request.user, reason=reason),
        )
        if done is not None:
            messages.success(request, "Reopened: the clock goes on from where it stopped.")
            return redirect(_detail_url(complaint))
    return _render_detail(request, complaint, status=400, reopen_form=form)


@login_required
@require_POST
def complaint_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    form = ReassignForm(request.POST, client=complaint.client)
    if form.is_valid():
        owner = form.cleaned_data["owner"]
        run_and_flash(
            request,
            lambda: services.reassign_complaint(complaint=complaint, by=request.user, owner=owner),
            f"Now owned by {owner}.",
        )
    else:
        messages.error(request, "Choose who owns the complaint.")
    return redirect(_detail_url(complaint))


@login_required
@require_POST
def action_create(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    form = ActionForm(request.POST, client=complaint.client)
    if form.is_valid():
        data = form.cleaned_data
        plan = ActionPlan(data["title"], data["owner"], data["due_date"])
        done = attempt(
            form,
            lambda: services.add_improvement_action(
                complaint=complaint, by=request.user, plan=plan
            ),
        )
        if done is not None:
            messages.success(request, "Improvement action added.")
            return redirect(_detail_url(complaint))
    return _render_detail(request, complaint, status=400, action_form=form)


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    seen = queries.visible_complaints(request.user)
    action = get_object_or_404(
        ImprovementAction.objects.select_related("complaint__client"), pk=pk, complaint__in=seen
    )
    run_and_flash(
        request,
        lambda: services.complete_improvement_action(action=action, by=request.user),
        "Improvement action done.",
    )
    return redirect(_detail_url(action.complaint))


@login_required
def theme_list(request: HttpRequest) -> HttpResponse:
    summaries = theme_summaries(queries.visible_themes(request.user), request.user)
    return render(request, "complaints/themes.html", {"themes": summaries})


@login_required
def theme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    theme = get_object_or_404(queries.visible_themes(request.user), pk=pk)
    found = queries.visible_complaints(request.user).filter(theme=theme)
    rows = queries.rows_with_clocks(list(queries.with_clock_data(found)))
    clients = sorted({row.complaint.client for row in rows}, key=lambda c: c.name)
    context = {"theme": theme, "rows": rows, "clients": clients}
    return render(request, "complaints/theme.html", context)
