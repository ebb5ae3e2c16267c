"""Pages of change requests: the list, one request with its save attempts, approval runs
and offboarding checklist, the planner of pauses and cancellations, the monthly view of
contract changes, the reports, and the reasons and approval routes administrators keep.

Thin, like the other pages: find the request among those the person may see (another
unit's request answers 404, as if it did not exist), call the service that owns the
rule or a read from queries.py, render. Which buttons a page offers comes from
permissions.py; the services check again when one is pressed. A refused action is
refused inside the service (PermissionDenied: the 403 page); an invalid one comes back
on its form with status 400, or is flashed on the page a one-button action returns to.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from retainops.changes import permissions, queries, services
from retainops.changes.admin_services import save_reason, save_route
from retainops.changes.choices import ChangeStatus
from retainops.changes.forms import (
    ChangeRequestForm,
    FilterForm,
    HandOverForm,
    PeriodForm,
    ReasonForm,
    RouteForm,
    SaveAttemptForm,
    WithdrawForm,
    initial_lines,
)
from retainops.changes.models import ApprovalRoute, ChangeReason, ChangeRequest, Removal
from retainops.changes.panels import request_panels_for
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.forms import attempt, run_and_flash
from retainops.core.lists import status_links
from retainops.core.pagination import page_or_404
from retainops.core.schemas import parse_id
from retainops.core.spreadsheets import write_csv
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Run, Task


def _form_page(
    request: HttpRequest, form: forms.Form, *, title: str, back: str, intro: str = ""
) -> HttpResponse:
    context = {"form": form, "title": title, "back_url": back, "intro": intro}
    return render(request, "changes/request_form.html", context, status=400 if form.errors else 200)


def _visible_request(request: HttpRequest, pk: int) -> ChangeRequest:
    return get_object_or_404(queries.visible_requests(request.user), pk=pk)


def _detail_url(change: ChangeRequest, section: str = "") -> str:
    url = reverse("changes:detail", args=[change.pk])
    return f"{url}#{section}" if section else url


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# The list -------------------------------------------------------------------------------


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = FilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    requests = queries.filter_requests(request.user, filters)
    page = page_or_404(requests, request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filtered": filters != queries.RequestFilters(),
        "query": _query_without_page(request),
        "status_links": status_links(
            request.GET, ChangeStatus.choices, queries.status_counts(request.user, filters)
        ),
        "can_manage_reasons": user.has_capability(Capability.MANAGE_CATALOGUE),
        "can_manage_routes": user.has_capability(Capability.MANAGE_PLAYBOOKS),
    }
    return render(request, "changes/request_list.html", context)


# Raising and editing --------------------------------------------------------------------


@login_required
def request_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(visible_clients(request.user), pk=pk)
    require_capability(request.user, Capability.RAISE_CHANGES)
    form = ChangeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        change = attempt(
            form,
            lambda: services.raise_change_request(
                by=request.user,
                client=client,
                kind=data["kind"],
                escalation=data["escalation"],
                lines=form.lines(),
                **form.changes(),
            ),
        )
        if change is not None:
            messages.success(request, f"{change} was raised: submit it when it is ready.")
            return redirect(_detail_url(change))
    return _form_page(
        request,
        form,
        title=f"Raise a change request for {client.name}",
        back=reverse("clients:detail", args=[client.pk]),
        intro="Raise it the moment the client voices doubts or asks for a change. "
        "Contract lines: for a contract change, the services added, removed or re-budgeted.",
    )


def _edit_initial(change: ChangeRequest) -> dict[str, Any]:
    fields = ("reason_text", "effective_date", "credit_amount", "leaves_platform", "notes")
    initial = {name: getattr(change, name) for name in fields}
    return {**initial, "reason": change.reason, **initial_lines(change.lines.all())}


@login_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    change = _visible_request(request, pk)
    require_capability(request.user, Capability.RAISE_CHANGES)
    form = ChangeRequestForm(request.POST or None, editing=True, initial=_edit_initial(change))
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: services.update_change_request(
                by=request.user, request=change, changes=form.changes(), lines=form.lines()
            ),
        )
        if saved is not None:
            messages.success(request, "The request was saved.")
            return redirect(_detail_url(change))
    return _form_page(request, form, title=f"Change {change}", back=_detail_url(change))


# One request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestActions:
    """Which forms the request page offers this person; the services check again."""

    edit: bool
    submit: bool
    withdraw: bool
    record_save: bool
    hand_over: bool


def _actions(user: Any, change: ChangeRequest) -> RequestActions:
    return RequestActions(
        edit=permissions.may_edit(user, change),
        submit=permissions.may_submit(user, change),
        withdraw=permissions.may_withdraw(user, change),
        record_save=permissions.may_record_save(user, change),
        hand_over=permissions.may_hand_over(user, change),
    )


def approval_runs(change: ChangeRequest) -> list[Run]:
    """The request's runs, newest first, each with its tasks in order."""
    runs = Run.objects.filter(subject_type="change_request", subject_id=change.pk)
    tasks = Task.objects.select_related("assignee", "queue_team", "closed_by")
    found = list(
        runs.select_related("version__playbook")
        .prefetch_related(Prefetch("tasks", queryset=tasks.order_by("id")))
        .order_by("-started_at", "-id")
    )
    for run in found:
        # A step its condition will skip (finance, with no credit) says so, not "waiting".
        playbooks.mark_foreseen_skips(run, list(run.tasks.all()))
    return found


def _removals(user: Any, change: ChangeRequest) -> list[tuple[Removal, bool, bool]]:
    rows = change.removals.select_related("tool", "removed_by", "verified_by", "request__client")
    return [
        (r, permissions.may_mark_removed(user, r), permissions.may_verify(user, r)) for r in rows
    ]


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = _visible_request(request, pk)
    context = {
        "change": change,
        "client": change.client,
        "lines": change.lines.select_related("service"),
        "saves": change.saves.select_related("by"),
        "runs": approval_runs(change),
        "removals": _removals(request.user, change),
        "actions": _actions(request.user, change),
        "save_form": SaveAttemptForm(auto_id="save_%s"),
        "hand_over_form": HandOverForm(client=change.client, auto_id="hand_%s"),
        "withdraw_form": WithdrawForm(auto_id="withdraw_%s"),
        "retention_involved": services.retention_involved(change),
        "history": queries.request_history(change),
        "panels": request_panels_for(change, request.user),
    }
    return render(request, "changes/request_detail.html", context)


@login_required
@require_POST
def save_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    change = _visible_request(request, pk)
    form = SaveAttemptForm(request.POST)
    if not form.is_valid():
        if "outcome" in form.errors:
            messages.error(request, "Choose how the call ended.")
        if "at" in form.errors:
            messages.error(request, "at: Give the day and time of the call, or leave it empty.")
        return redirect(_detail_url(change, "saves"))
    run_and_flash(
        request,
        lambda: services.record_save_attempt(
            by=request.user,
            request=change,
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
            at=form.cleaned_data["at"],
        ),
        "The save attempt was recorded.",
    )
    return redirect(_detail_url(change, "saves"))


@login_required
@require_POST
def hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    change = _visible_request(request, pk)
    form = HandOverForm(request.POST, client=change.client)
    if not form.is_valid():
        messages.error(request, "Choose an account manager of the client's unit.")
        return redirect(_detail_url(change))
    to = form.cleaned_data["to"]
    run_and_flash(
        request,
        lambda: services.hand_to_account_manager(by=request.user, request=change, to=to),
        f"The request is with {to}, who submits it.",
    )
    return redirect(_detail_url(change))


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    change = _visible_request(request, pk)
    run_and_flash(
        request,
        lambda: services.submit_change_request(by=request.user, request=change),
        "Submitted: the approval chain has started.",
    )
    return redirect(_detail_url(change, "approvals"))


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    change = _visible_request(request, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    run_and_flash(
        request,
        lambda: services.withdraw_change_request(by=request.user, request=change, reason=reason),
        "The request was withdrawn.",
    )
    return redirect(_detail_url(change))


def _visible_removal(request: HttpRequest, pk: int) -> Removal:
    removals = Removal.objects.filter(request__in=queries.visible_requests(request.user))
    return get_object_or_404(removals.select_related("request__client", "tool"), pk=pk)


@login_required
@require_POST
def removal_done(request: HttpRequest, pk: int) -> HttpResponse:
    removal = _visible_removal(request, pk)
    run_and_flash(
        request,
        lambda: services.mark_removed(by=request.user, removal=removal),
        f"Removed from {removal.tool}.",
    )
    return redirect(_detail_url(removal.request, "offboarding"))


@login_required
@require_POST
def removal_verified(request: HttpRequest, pk: int) -> HttpResponse:
    removal = _visible_removal(request, pk)
    run_and_flash(
        request,
        lambda: services.verify_removal(by=request.user, removal=removal),
        f"Removal from {removal.tool} verified.",
    )
    return redirect(_detail_url(removal.request, "offboarding"))


# Planner, monthly view, reports ---------------------------------------------------------


def _planner(request: HttpRequest) -> tuple[FilterForm, QuerySet[ChangeRequest]]:
    form = FilterForm(request.GET or None, user=request.user)
    return form, queries.planner(request.user, form.filters())


@login_required
def planner(request: HttpRequest) -> HttpResponse:
    form, rows = _planner(request)
    context = {"form": form, "rows": rows, "query": _query_without_page(request)}
    return render(request, "changes/planner.html", context)


@login_required
def planner_export(request: HttpRequest) -> HttpResponse:
    _form, rows = _planner(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "planner.csv")
    write_csv(response, queries.planner_rows(rows))
    return response


@login_required
def monthly(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, user=request.user)
    months = queries.monthly_contract_changes(request.user, form.filters())
    return render(request, "changes/monthly.html", {"form": form, "months": months})


@dataclass(frozen=True)
class Bar:
    label: str
    rate: queries.Rate

    @property
    def percent(self) -> int:
        return round((self.rate.rate or 0) * 100)


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    report = queries.reports(request.user, start=start, end=end)
    context = {
        "form": form,
        "report": report,
        "overall": Bar("Overall", report.save_rate),
        "by_reason": [Bar(k, v) for k, v in sorted(report.save_rate_by_reason.items())],
        "by_month": [Bar(k, v) for k, v in sorted(report.save_rate_by_month.items())],
        "cycle": sorted(report.approval_hours_by_step.items()),
    }
    return render(request, "changes/reports.html", context)


# Configuration --------------------------------------------------------------------------


def _edited(request: HttpRequest, rows: QuerySet[Any]) -> Any:
    pk = request.GET.get("edit")
    chosen = parse_id(pk)
    return get_object_or_404(rows, pk=chosen) if chosen else None


def _config_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    save: Callable[[], Any],
    page: str,
    context: dict[str, Any],
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, save)
        if saved is not None:
            messages.success(request, f"Saved: {saved}.")
            return redirect(f"changes:{page}")
    status = 400 if form.errors else 200
    return render(request, f"changes/{page}.html", {**context, "form": form}, status=status)


@login_required
def reasons(request: HttpRequest) -> HttpResponse:
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    reason = _edited(request, ChangeReason.objects.all())
    initial = (
        {"code": reason.code, "label": reason.label, "is_active": reason.is_active}
        if reason
        else None
    )
    form = ReasonForm(request.POST or None, initial=initial)
    return _config_page(
        request,
        form,
        save=lambda: save_reason(by=request.user, reason=reason, data=form.cleaned_data),
        page="reasons",
        context={"rows": ChangeReason.objects.all(), "editing": reason},
    )


@login_required
def routes(request: HttpRequest) -> HttpResponse:
    require_capability(request.user, Capability.MANAGE_PLAYBOOKS)
    route = _edited(request, ApprovalRoute.objects.all())
    initial = (
        {"business_unit": route.business_unit_id, "kind": route.kind, "playbook": route.playbook_id}
        if route
        else None
    )
    form = RouteForm(request.POST or None, initial=initial)
    rows = ApprovalRoute.objects.select_related("business_unit", "playbook")
    return _config_page(
        request,
        form,
        save=lambda: save_route(by=request.user, route=route, data=form.cleaned_data),
        page="routes",
        context={"rows": rows, "editing": route, "default": services.DEFAULT_APPROVAL},
    )
