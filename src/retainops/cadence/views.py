"""Pages of contact plans: a client's plan, occurrences and touchpoints; the clients
nobody has touched lately; the team's workload ahead.

Thin: find the client among those the person sees (another unit's answers 404), call
the service, render or go back with the outcome flashed. Refusals come from the
services (PermissionDenied: the 403 page; ValidationError: on the form, status 400).
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from retainops.cadence import queries, services, workload
from retainops.cadence.forms import (
    MoveForm,
    PlanItemForm,
    TemplateChoiceForm,
    TouchpointForm,
    UntouchedForm,
)
from retainops.cadence.models import Occurrence, PlanItem
from retainops.clients.models import Client
from retainops.clients.queries import visible_clients
from retainops.core.capabilities import Capability
from retainops.core.forms import attempt, run_and_flash
from retainops.core.models import User
from retainops.core.pagination import page_or_404
from retainops.core.schemas import parse_id


def _client(request: HttpRequest, pk: int) -> Client:
    return get_object_or_404(visible_clients(request.user), pk=pk)


def _plan_url(client_id: int) -> str:
    return reverse("cadence:client", args=[client_id])


def _client_page(request: HttpRequest, client: Client, **forms: Any) -> HttpResponse:
    user: Any = request.user
    occurrences = queries.visible_occurrences(user).filter(client=client).order_by("-due_at")
    touchpoints = queries.visible_touchpoints(user).filter(client=client)
    context = {
        "client": client,
        "items": queries.plan_items(user, client),
        "adherence_30": queries.adherence(client, 30),
        "adherence_90": queries.adherence(client, 90),
        "days_since": queries.days_since_last_touch(client),
        "occurrences": page_or_404(occurrences, request.GET.get("o")),
        "touchpoints": page_or_404(touchpoints, request.GET.get("t")),
        "item_form": forms.get("item_form") or PlanItemForm(initial={"starts_on": date.today()}),
        "template_form": TemplateChoiceForm(),
        "touchpoint_form": forms.get("touchpoint_form") or TouchpointForm(),
        "can_plan": user.has_capability(Capability.PLAN_CONTACTS),
    }
    invalid = any(form.errors for form in forms.values())
    return render(request, "cadence/client.html", context, status=400 if invalid else 200)


@login_required
def client_plan(request: HttpRequest, pk: int) -> HttpResponse:
    return _client_page(request, _client(request, pk))


@login_required
@require_POST
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    form = PlanItemForm(request.POST)
    if form.is_valid():
        values = form.service_values()
        added = attempt(
            form, lambda: services.add_plan_item(by=request.user, client=client, **values)
        )
        if added is not None:
            messages.success(request, f"{added.kind} added to the plan.")
            return redirect(_plan_url(client.pk))
    return _client_page(request, client, item_form=form)


@login_required
@require_POST
def apply_template(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    form = TemplateChoiceForm(request.POST)
    template = form.cleaned_data["template"] if form.is_valid() else None
    run_and_flash(
        request,
        lambda: services.apply_template(by=request.user, client=client, template=template),
        "The template's contacts were added to the plan.",
    )
    return redirect(_plan_url(client.pk))


@login_required
@require_POST
def item_state(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        PlanItem.objects.filter(client__in=visible_clients(request.user)), pk=pk
    )
    transition = request.POST.get("transition", "")
    run_and_flash(
        request,
        lambda: services.change_plan_item_state(by=request.user, item=item, transition=transition),
        f"The plan item: {transition} done.",
    )
    return redirect(_plan_url(item.client_id))


@login_required
@require_POST
def log_touchpoint(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    form = TouchpointForm(request.POST)
    if form.is_valid():
        logged = attempt(
            form,
            lambda: services.log_touchpoint(by=request.user, client=client, **form.cleaned_data),
        )
        if logged is not None:
            messages.success(request, "Touchpoint recorded.")
            return redirect(_plan_url(client.pk))
    return _client_page(request, client, touchpoint_form=form)


def _occurrence(request: HttpRequest, pk: int) -> Occurrence:
    return get_object_or_404(queries.visible_occurrences(request.user), pk=pk)


@login_required
@require_POST
def occurrence_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    occurrence = _occurrence(request, pk)
    by = request.user
    if action == "done":
        notes = request.POST.get("notes", "")
        run_and_flash(
            request,
            lambda: services.complete_occurrence(by=by, occurrence=occurrence, notes=notes),
            "Marked done.",
        )
    elif action == "skip":
        reason = request.POST.get("reason", "")
        run_and_flash(
            request,
            lambda: services.skip_occurrence(by=by, occurrence=occurrence, reason=reason),
            "Skipped.",
        )
    elif action == "move":
        form = MoveForm(request.POST)
        if form.is_valid():
            due_at = form.cleaned_data["due_at"]
            run_and_flash(
                request,
                lambda: services.move_occurrence(by=by, occurrence=occurrence, due_at=due_at),
                "Moved.",
            )
        else:
            messages.error(request, "due_at: give the new date and time.")
    return redirect(_plan_url(occurrence.client_id))


@login_required
def untouched(request: HttpRequest) -> HttpResponse:
    form = UntouchedForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    days = values.get("days") or 30
    found = queries.clients_without_touch(
        days,
        unit=values.get("unit"),
        account_manager=values.get("account_manager"),
        clients=visible_clients(request.user),
    )
    page = page_or_404(found, request.GET.get("page"))
    return render(request, "cadence/untouched.html", {"form": form, "days": days, "page": page})


@login_required
def workload_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    unit = request.GET.get("unit")
    loads = workload.workload(user, unit_id=parse_id(unit))
    chosen = _chosen_cell(request)
    context = {
        "loads": loads,
        "days": loads[0].days if loads else [],
        "capacity": settings.CADENCE_DAILY_CAPACITY,
        "chosen": chosen,
        "work": workload.work_on(chosen[0], chosen[1]) if chosen else [],
        "colleagues": workload.people(user) if chosen else [],
        "can_reassign": user.has_capability(Capability.SUPERVISE_TASKS),
    }
    return render(request, "cadence/workload.html", context)


def _chosen_cell(request: HttpRequest) -> tuple[User, date] | None:
    person, day = request.GET.get("person"), request.GET.get("day")
    if not person or not day:
        return None
    found = [p for p in workload.people(request.user) if str(p.pk) == person]
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return None
    return (found[0], when) if found else None


@login_required
@require_POST
def reassign(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    pk, to = _number(request.POST.get("id")), _number(request.POST.get("to"))
    person = get_object_or_404(User.objects.filter(is_active=True), pk=to)
    try:
        run_and_flash(
            request,
            lambda: services.reassign_work(by=request.user, kind=kind, pk=pk, to=person),
            f"Handed to {person}.",
        )
    except ObjectDoesNotExist:
        raise Http404("No such work.") from None
    return redirect(request.POST.get("next") or reverse("cadence:workload"))


def _number(value: str | None) -> int:
    return parse_id(value) or 0
