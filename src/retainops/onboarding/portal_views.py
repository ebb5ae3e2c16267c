"""The client portal: one program, reached through a signed link, without a staff account.

Every view resolves the link's token first (``portal.resolve``). Whatever is wrong,
a forged or mistyped token, a revoked or expired link, a proof of another program,
the answer is the same plain "not found" page, which names no client: a probe
learns nothing. What the client does goes through the portal services, which touch
the link's program only. CSRF protection stays on: every form carries its token.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from retainops.clients.models import ClientTeamMember
from retainops.core.choices import RoleCode
from retainops.core.errors import errors_by_field
from retainops.core.forms import attempt
from retainops.onboarding import portal, queries, requirements, services
from retainops.onboarding.choices import ProofDecision
from retainops.onboarding.forms import DecisionForm, SupplyDetailsForm
from retainops.onboarding.models import PortalLink, Program, ProofVersion
from retainops.onboarding.views import proof_download

PortalView = Callable[..., HttpResponse]

# The people the introduction e-mail already names; no other staff name is shown.
NAMED_ROLES = (RoleCode.CLIENT_SUCCESS_MANAGER, RoleCode.ACCOUNT_MANAGER)


def render_portal(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """A portal page, in the portal's look and with the agency's name and logo."""
    agency = {"agency_name": settings.AGENCY_NAME, "agency_logo_url": settings.AGENCY_LOGO_URL}
    return render(request, template, {**context, **agency}, status=status)


def resolved_link(view: PortalView) -> PortalView:
    """Resolve the token into its link before the view runs; any 'not found' on the way
    answers the portal's own page, the same whatever was wrong."""

    @wraps(view)
    def guarded(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, portal.resolve(token), **kwargs)
        except Http404:
            return render_portal(request, "onboarding/portal/not_found.html", {}, status=404)

    # The pages show one client's private order: never kept by a browser or a proxy.
    return never_cache(guarded)


def _home_url(link: PortalLink) -> str:
    return reverse("portal:home", args=[portal.token_for(link)])


@dataclass(frozen=True)
class ProofOnPortal:
    """A proof as the client sees it: its latest version, its answer form, the earlier ones."""

    title: str
    latest: ProofVersion
    form: DecisionForm | None
    earlier: list[ProofVersion]


def _details_form(program: Program, data: Any = None) -> SupplyDetailsForm:
    missing = {m.key for m in requirements.missing_details(program)}
    asked = [r for r in requirements.requirements_for(program) if r.key in missing]
    return SupplyDetailsForm(data, requirements=asked, missing=missing, auto_id="details_%s")


def _decision_form(version: ProofVersion, data: Any = None) -> DecisionForm:
    # One form per proof on the page: the prefix keeps their fields apart.
    return DecisionForm(data, prefix=f"v{version.pk}")


def _proofs(
    program: Program, bound: DecisionForm | None, bound_pk: int | None
) -> list[ProofOnPortal]:
    # Newest version first, without the files' bytes.
    newest_first = ProofVersion.objects.defer("content").order_by("-number")
    shown = []
    for proof in program.proofs.prefetch_related(Prefetch("versions", queryset=newest_first)):
        versions = list(proof.versions.all())
        if not versions:
            continue
        latest = versions[0]
        form = None
        if latest.decision == ProofDecision.PENDING:
            form = bound if latest.pk == bound_pk and bound else _decision_form(latest)
        shown.append(ProofOnPortal(str(proof), latest, form, versions[1:]))
    return shown


def _team(program: Program) -> QuerySet[ClientTeamMember]:
    return program.client.team.filter(role__code__in=NAMED_ROLES).select_related("role", "user")


def _home(
    request: HttpRequest,
    link: PortalLink,
    *,
    status: int = 200,
    details_form: SupplyDetailsForm | None = None,
    decision: tuple[int, DecisionForm] | None = None,
) -> HttpResponse:
    program = link.program
    under_way, to_come = queries.client_steps(program)
    bound_pk, bound = decision if decision else (None, None)
    context = {
        "token": portal.token_for(link),
        "program": program,
        "client": program.client,
        "team": _team(program),
        "under_way": under_way,
        "to_come": to_come,
        "meetings": queries.client_meetings(program),
        "details_form": details_form or _details_form(program),
        "proofs": _proofs(program, bound, bound_pk),
        "actions": portal.portal_actions(portal.token_for(link)),
    }
    return render_portal(request, "onboarding/portal/home.html", context, status=status)


@resolved_link
def home(request: HttpRequest, link: PortalLink) -> HttpResponse:
    return _home(request, link)


@resolved_link
@require_POST
def details(request: HttpRequest, link: PortalLink) -> HttpResponse:
    form = _details_form(link.program, request.POST)
    sent = form.is_valid() and attempt(
        form,
        lambda: services.supply_details(link=link, details=form.details(), contact=form.contact()),
    )
    if not sent:
        return _home(request, link, status=400, details_form=form)
    messages.success(request, "Thank you: your team has the details.")
    return redirect(_home_url(link))


def _version_of(link: PortalLink, pk: int) -> ProofVersion:
    versions = ProofVersion.objects.filter(proof__program_id=link.program_id)
    return get_object_or_404(versions.select_related("proof"), pk=pk)


def _attempt_answer(
    request: HttpRequest, form: DecisionForm, operation: Callable[[], ProofVersion]
) -> ProofVersion | None:
    """Like core.forms.attempt, except that a refusal about the version itself (a newer
    one arrived, or it was answered already) is said at the top of the page: the form
    it came from is no longer shown."""
    try:
        return operation()
    except ValidationError as error:
        for field, problems in errors_by_field(error).items():
            for problem in problems:
                if field in form.fields:
                    form.add_error(field, problem)
                else:
                    messages.error(request, problem)
        return None


@resolved_link
@require_POST
def decide(request: HttpRequest, link: PortalLink, pk: int) -> HttpResponse:
    version = _version_of(link, pk)
    form = _decision_form(version, request.POST)
    decided = form.is_valid() and _attempt_answer(
        request,
        form,
        lambda: services.decide_proof(
            link=link,
            version=version,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
            contact=form.cleaned_data["your_name"],
        ),
    )
    if not decided:
        return _home(request, link, status=400, decision=(version.pk, form))
    answer = "approved" if decided.decision == ProofDecision.APPROVED else "sent back"
    messages.success(request, f"Thank you: {version.proof} is {answer}.")
    return redirect(_home_url(link))


@resolved_link
def proof_file(request: HttpRequest, link: PortalLink, pk: int) -> HttpResponse:
    return proof_download(_version_of(link, pk))
