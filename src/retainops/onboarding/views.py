"""Staff pages of onboarding: the board, programs with their purchase order, proofs and
portal links, and the purchase-order requirements administrators configure.

Thin, like the other pages: find the program among those the person may see (another
unit's program answers 404, as if it did not exist), call the service that owns the
rule or a read from queries.py and requirements.py, render. A refused action is
refused inside the service (PermissionDenied: the 403 page). An invalid one shows the
service's messages: a form of the program page comes back on that page with status
400; its one-button actions flash them on the page they return to.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from retainops.clients.models import ServiceLine
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.forms import attempt, run_and_flash
from retainops.onboarding import portal, queries, requirements, services
from retainops.onboarding.admin_services import save_requirement
from retainops.onboarding.forms import (
    GoLiveForm,
    LinesForm,
    OrderForm,
    ProgramForm,
    ProofUploadForm,
    RequirementForm,
    budget_field_name,
)
from retainops.onboarding.models import DetailRequirement, PortalLink, Program, Proof, ProofVersion
from retainops.onboarding.program_panels import program_panels_for

MESSAGES_ON_PROGRAM_PAGE = 20


def _may(request: HttpRequest, capability: Capability) -> bool:
    """Whether to offer an action; the service checks again when it is taken."""
    user: Any = request.user
    return bool(user.has_capability(capability))


def _form_page(
    request: HttpRequest, form: forms.Form, *, title: str, back: str, intro: str = ""
) -> HttpResponse:
    context = {"form": form, "title": title, "back_url": back, "intro": intro}
    status = 400 if form.errors else 200
    return render(request, "onboarding/form.html", context, status=status)


# The board ------------------------------------------------------------------------------


@login_required
def board(request: HttpRequest) -> HttpResponse:
    data = queries.onboarding_board(request.user)
    context = {
        "columns": [(title, data.cards[title]) for title in data.columns],
        "timings": data.timings,
        # Soonest first: the steps read roughly in the order they happen.
        "step_timings": sorted(data.timings.median_days_to_step.items(), key=lambda i: i[1]),
    }
    return render(request, "onboarding/board.html", context)


# Programs -------------------------------------------------------------------------------


def _visible_program(request: HttpRequest, pk: int) -> Program:
    return get_object_or_404(queries.visible_programs(request.user), pk=pk)


def _program_url(program: Program, section: str = "") -> str:
    url = reverse("onboarding:program", args=[program.pk])
    return f"{url}#{section}" if section else url


@login_required
def program_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(visible_clients(request.user), pk=pk)
    require_capability(request.user, Capability.EDIT_CONTRACT)
    form = ProgramForm(request.POST or None, services=ServiceLine.objects.filter(is_active=True))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        program = attempt(
            form,
            lambda: services.create_program(
                by=request.user,
                client=client,
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                lines=form.lines(),
                go_live_at=data["go_live_at"],
            ),
        )
        if program is not None:
            messages.success(request, f"{program.name} was created: fill in its order.")
            return redirect(_program_url(program, "order"))
    return _form_page(
        request,
        form,
        title=f"New program for {client.name}",
        back=reverse("clients:detail", args=[client.pk]),
        intro="Give a monthly budget for each service sold; leave the others blank. "
        "The order's details are filled in on the program's page.",
    )


def _order_form(program: Program, data: Any = None) -> OrderForm:
    return OrderForm(
        data,
        requirements=requirements.requirements_for(program),
        missing=[m.key for m in requirements.missing_details(program)],
        initial=program.details,
    )


def _proofs(program: Program) -> QuerySet[Proof]:
    # Newest version first, without the files' bytes.
    versions = ProofVersion.objects.defer("content").select_related("uploaded_by")
    return program.proofs.prefetch_related(
        Prefetch("versions", queryset=versions.order_by("-number"))
    )


def _program_page(
    request: HttpRequest, program: Program, *, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    """The program page; `bound` holds a form that came back with errors, shown instead."""
    run = queries.onboarding_run(program)
    links = program.portal_links.select_related("created_by", "revoked_by")
    context = {
        "program": program,
        "client": program.client,
        "lines": program.lines.select_related("service"),
        "missing": requirements.missing_details(program),
        "run": run,
        "tasks": run.tasks.select_related("assignee", "queue_team").order_by("id") if run else [],
        "meetings": queries.program_meetings(program),
        "program_messages": queries.program_messages(program)[:MESSAGES_ON_PROGRAM_PAGE],
        "proofs": _proofs(program),
        "links": [(link, portal.url_for(link)) for link in links],
        "timings": list(queries.program_timings(program).items()),
        "order_form": bound.get("order_form") or _order_form(program),
        "go_live_form": bound.get("go_live_form")
        or GoLiveForm(initial={"go_live_at": program.go_live_at}, auto_id="golive_%s"),
        "upload_form": bound.get("upload_form") or ProofUploadForm(auto_id="proof_%s"),
        "can_edit": _may(request, Capability.EDIT_CLIENT),
        "can_edit_lines": _may(request, Capability.EDIT_CONTRACT),
        "can_sell": _may(request, Capability.EDIT_CONTRACT) and can_proceed(program.mark_sold),
        "program_panels": program_panels_for(program, request.user),
    }
    return render(request, "onboarding/program_detail.html", context, status=status)


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _program_page(request, _visible_program(request, pk))


@login_required
def program_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The program's services and budgets."""
    program = _visible_program(request, pk)
    require_capability(request.user, Capability.EDIT_CONTRACT)
    budgets = {line.service_id: line.monthly_budget for line in program.lines.all()}
    # The active catalogue, and any retired service the program still has.
    catalogue = ServiceLine.objects.filter(Q(is_active=True) | Q(pk__in=budgets))
    initial = {budget_field_name(s): budgets[s.pk] for s in catalogue if s.pk in budgets}
    form = LinesForm(request.POST or None, services=catalogue, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: services.set_program_lines(
                by=request.user, program=program, lines=form.lines()
            ),
        )
        if saved is not None:
            messages.success(request, "Services and budgets saved.")
            return redirect(_program_url(program))
    return _form_page(
        request,
        form,
        title=f"Services of {program.name}",
        back=_program_url(program),
        intro="A blank budget takes the service out of the program; the order then asks "
        "for the details of the services it has.",
    )


@login_required
@require_POST
def program_order(request: HttpRequest, pk: int) -> HttpResponse:
    program = _visible_program(request, pk)
    form = _order_form(program, request.POST)
    saved = form.is_valid() and attempt(
        form,
        lambda: services.update_order(by=request.user, program=program, details=form.details()),
    )
    if not saved:
        return _program_page(request, program, status=400, order_form=form)
    left = len(requirements.missing_details(saved))
    still = f"{left} detail{'s' if left != 1 else ''} still missing." if left else "Complete."
    messages.success(request, f"Order saved. {still}")
    return redirect(_program_url(program, "order"))


@login_required
@require_POST
def program_sold(request: HttpRequest, pk: int) -> HttpResponse:
    program = _visible_program(request, pk)
    run_and_flash(
        request,
        lambda: services.mark_program_sold(by=request.user, program=program),
        f"{program.name} is sold: onboarding has started.",
    )
    return redirect(_program_url(program))


@login_required
@require_POST
def program_go_live(request: HttpRequest, pk: int) -> HttpResponse:
    program = _visible_program(request, pk)
    form = GoLiveForm(request.POST, auto_id="golive_%s")
    planned = form.is_valid() and attempt(
        form, lambda: services.plan_go_live(by=request.user, program=program, at=form.when())
    )
    if not planned:
        return _program_page(request, program, status=400, go_live_form=form)
    messages.success(request, "Go-live planned; the dates that follow it moved with it.")
    return redirect(_program_url(program))


# Proofs ---------------------------------------------------------------------------------


@login_required
@require_POST
def proof_upload(request: HttpRequest, pk: int) -> HttpResponse:
    program = _visible_program(request, pk)
    form = ProofUploadForm(request.POST, request.FILES, auto_id="proof_%s")
    version = form.is_valid() and attempt(
        form,
        lambda: services.upload_proof(
            by=request.user,
            program=program,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            upload=form.upload(),
            note=form.cleaned_data["note"],
        ),
    )
    if not version:
        return _program_page(request, program, status=400, upload_form=form)
    messages.success(request, f"Version {version.number} of {version.proof} is up for the client.")
    return redirect(_program_url(program, "proofs"))


def proof_download(version: ProofVersion) -> HttpResponse:
    # Always a download, never shown inline: an uploaded HTML file must not run as our page.
    response = HttpResponse(bytes(version.content), content_type=version.content_type)
    response["Content-Disposition"] = content_disposition_header(True, version.filename)
    return response


@login_required
def proof_file(request: HttpRequest, pk: int) -> HttpResponse:
    versions = ProofVersion.objects.filter(
        proof__program__in=queries.visible_programs(request.user)
    )
    return proof_download(get_object_or_404(versions, pk=pk))


# Portal links ---------------------------------------------------------------------------


@login_required
@require_POST
def link_issue(request: HttpRequest, pk: int) -> HttpResponse:
    program = _visible_program(request, pk)
    run_and_flash(
        request,
        lambda: services.issue_portal_link(by=request.user, program=program),
        "A new portal link was issued.",
    )
    return redirect(_program_url(program, "portal"))


@login_required
@require_POST
def link_send(request: HttpRequest, pk: int) -> HttpResponse:
    program = _visible_program(request, pk)
    run_and_flash(
        request,
        lambda: services.send_portal_link(by=request.user, program=program),
        "The portal link is on its way to the client's contacts.",
    )
    return redirect(_program_url(program, "portal"))


@login_required
@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    links = PortalLink.objects.filter(program__in=queries.visible_programs(request.user))
    link = get_object_or_404(links.select_related("program__client"), pk=pk)
    run_and_flash(
        request,
        lambda: services.revoke_portal_link(by=request.user, link=link),
        "The link was revoked: it no longer opens the portal.",
    )
    return redirect(_program_url(link.program, "portal"))


# Requirements (administration) ----------------------------------------------------------


@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    rows = DetailRequirement.objects.select_related("service")
    return render(request, "onboarding/requirements.html", {"requirements": rows})


REQUIREMENT_FIELDS = ("service", "key", "label", "kind", "help_text", "required", "position")


def _requirement_initial(requirement: DetailRequirement | None) -> dict[str, Any]:
    if requirement is None:
        return {}
    initial = {name: getattr(requirement, name) for name in REQUIREMENT_FIELDS}
    return {**initial, "choices": ", ".join(requirement.choices)}


@login_required
def requirement_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a requirement (no pk) or change one."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    requirement = get_object_or_404(DetailRequirement, pk=pk) if pk is not None else None
    title = f"Edit requirement {requirement.label}" if requirement else "New requirement"
    form = RequirementForm(request.POST or None, initial=_requirement_initial(requirement))
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: save_requirement(
                by=request.user, requirement=requirement, data=form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, f"Requirement saved: {saved}.")
            return redirect("onboarding:requirements")
    return _form_page(request, form, title=title, back=reverse("onboarding:requirements"))
