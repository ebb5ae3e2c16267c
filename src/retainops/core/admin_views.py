"""Administration pages: the home page, business units, roles, users and teams.

Other apps own the pages that configure them (clients the service and tool
catalogues, messaging its templates, lists and webhooks) and list them on the
home page through ``core.administration``; they build their forms with the
helpers here (`requires`, `form_page`, `bound`).

Views stay thin: they check the capability up front (so a refused person
never sees a form), parse with a form, call the service that owns the rule,
and render. A service's ValidationError goes back onto the form with status
400; services run in a transaction, so a refused change writes nothing.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from retainops.core import admin_forms as f
from retainops.core import administration
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.forms import attempt
from retainops.core.models import BusinessUnit, Role, Team, User
from retainops.core.pagination import page_or_404
from retainops.core.services import (
    create_user,
    save_business_unit,
    save_role,
    save_team,
    set_user_access,
    update_user,
)

View = Callable[..., HttpResponse]
Save = Callable[[dict[str, Any]], object]


def requires(capability: Capability) -> Callable[[View], View]:
    """Sign-in plus a capability check before the view runs (403 when refused)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_capability(request.user, capability)
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def form_page(
    request: HttpRequest,
    form: forms.Form,
    save: Save,
    *,
    title: str,
    back: str,
    done: str,
) -> HttpResponse:
    """Show a form; on a valid POST save through the service and go back to the list.

    A service's ValidationError lands on the form (``attempt``) and the page is
    shown again with status 400; the service's transaction wrote nothing.

    ``done`` is the success message, with ``{}`` standing for the saved object.
    """
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, lambda: save(form.cleaned_data))
        if saved is not None:
            messages.success(request, done.format(saved))
            return redirect(back)
    context = {"form": form, "title": title, "back_url": reverse(back), "submit_label": "Save"}
    return render(request, "form.html", context, status=400 if form.is_bound else 200)


def bound(request: HttpRequest) -> dict[str, Any]:
    """Form arguments: the POST data when one was sent, else nothing (an unbound form)."""
    return {"data": request.POST} if request.method == "POST" else {}


# Home ---------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The sections this person may use, as the apps registered them; refused when
    there are none."""
    user: Any = request.user
    sections = [
        {
            "title": section.title,
            "url": reverse(section.url_name),
            "count": section.count(),
            "follow_ups": [
                {"title": card.title, "url": reverse(card.url_name), "note": card.note}
                for card in section.follow_ups
            ],
        }
        for section in administration.sections()
        if user.has_capability(section.capability)
    ]
    if not sections:
        raise PermissionDenied("You may not administer anything.")
    return render(request, "core/admin/home.html", {"sections": sections})


# Business units -----------------------------------------------------------------------


@requires(Capability.MANAGE_UNITS)
def unit_list(request: HttpRequest) -> HttpResponse:
    units = BusinessUnit.objects.annotate(
        staff_count=Count("staff", distinct=True), team_count=Count("teams", distinct=True)
    )
    return render(request, "core/admin/units.html", {"units": units})


@requires(Capability.MANAGE_UNITS)
def unit_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        f.BusinessUnitForm(**bound(request)),
        lambda data: save_business_unit(by=request.user, unit=None, data=data),
        title="New business unit",
        back="administration:units",
        done="Business unit {} added.",
    )


@requires(Capability.MANAGE_UNITS)
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(BusinessUnit, pk=pk)
    initial = {n: getattr(unit, n) for n in ("code", "name", "is_active")}
    return form_page(
        request,
        f.BusinessUnitForm(initial=initial, **bound(request)),
        lambda data: save_business_unit(by=request.user, unit=unit, data=data),
        title=f"Edit {unit.name}",
        back="administration:units",
        done="Business unit {} saved.",
    )


# Roles --------------------------------------------------------------------------------


@requires(Capability.MANAGE_USERS)
def role_list(request: HttpRequest) -> HttpResponse:
    """Roles with their capabilities spelled out, so nobody has to decode the codes."""
    roles = Role.objects.annotate(holder_count=Count("users"))
    rows = [
        {"role": role, "capabilities": [Capability(c).label for c in _known(role.capabilities)]}
        for role in roles
    ]
    return render(request, "core/admin/roles.html", {"rows": rows})


def _known(codes: list[str]) -> list[str]:
    """Capability codes still defined, in the order Capability lists them."""
    return [c for c in Capability.values if c in set(codes or [])]


@requires(Capability.MANAGE_USERS)
def role_create(request: HttpRequest) -> HttpResponse:
    form = f.RoleForm(**bound(request))
    return form_page(
        request,
        form,
        lambda _data: save_role(by=request.user, role=None, data=form.changes()),
        title="New role",
        back="administration:roles",
        done="Role {} added.",
    )


@requires(Capability.MANAGE_USERS)
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk)
    initial = {n: getattr(role, n) for n in ("code", "label", "description", "capabilities")}
    form = f.RoleForm(initial=initial, role=role, **bound(request))
    return form_page(
        request,
        form,
        lambda _data: save_role(by=request.user, role=role, data=form.changes()),
        title=f"Edit role {role.label}",
        back="administration:roles",
        done="Role {} saved.",
    )


# Users --------------------------------------------------------------------------------


@requires(Capability.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    """People, searchable and filterable, a page at a time (there can be many)."""
    filters = f.UserFilterForm(request.GET)
    users = filters.apply(User.objects.prefetch_related("roles", "business_units"))
    page = page_or_404(users.order_by("username"), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    return render(request, "core/admin/users.html", context)


@requires(Capability.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> User:
        profile = {k: v for k, v in data.items() if k != "password"}
        return create_user(by=request.user, data=profile, password=data["password"])

    return form_page(
        request,
        f.UserCreateForm(**bound(request)),
        save,
        title="New user",
        back="administration:users",
        done="User {} added.",
    )


@requires(Capability.MANAGE_USERS)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = f.UserEditForm(initial=f.UserEditForm.initial_for(person), **bound(request))

    @transaction.atomic
    def save(data: dict[str, Any]) -> User:
        """Profile and access together: a refused access change undoes the profile edit."""
        update_user(by=request.user, user=person, data=form.profile())
        roles, units = list(data["roles"]), list(data["business_units"])
        return set_user_access(by=request.user, user=person, roles=roles, units=units)

    return form_page(
        request,
        form,
        save,
        title=f"Edit user {person.username}",
        back="administration:users",
        done="User {} saved.",
    )


# Teams --------------------------------------------------------------------------------


@requires(Capability.MANAGE_USERS)
def team_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.select_related("business_unit").prefetch_related("members")
    return render(request, "core/admin/teams.html", {"teams": teams})


@requires(Capability.MANAGE_USERS)
def team_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        f.TeamForm(**bound(request)),
        lambda data: save_team(by=request.user, team=None, data=data),
        title="New team",
        back="administration:teams",
        done="Team {} added.",
    )


@requires(Capability.MANAGE_USERS)
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    initial = {
        "name": team.name,
        "business_unit": team.business_unit,
        "members": team.members.all(),
    }
    return form_page(
        request,
        f.TeamForm(initial=initial, team=team, **bound(request)),
        lambda data: save_team(by=request.user, team=team, data=data),
        title=f"Edit team {team.name}",
        back="administration:teams",
        done="Team {} saved.",
    )
