"""API for onboarding: sold programs and their purchase orders, proofs, portal links, the
onboarding board, the order requirements (and their configuration), and the client portal.

Thin, like the pages: each staff endpoint resolves the program it names among those the
caller sees (another unit's program is "not found"), then calls the same service or read
as the pages; who may do what is decided in the services. A bad order detail answers
422 naming it as `details.<key>`.

The portal endpoints take no staff token: the signed token in their path is the
credential, and a wrong, revoked or expired token is "not found", whatever is wrong.
"""

from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from retainops.clients.models import ServiceLine
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.pagination import Pages
from retainops.core.schemas import fields_sent
from retainops.messaging.schemas import MessageOut
from retainops.onboarding import portal, queries, requirements, services
from retainops.onboarding.admin_services import remove_requirement, save_requirement
from retainops.onboarding.models import (
    DetailRequirement,
    PortalLink,
    Program,
    ProofVersion,
)
from retainops.onboarding.schemas import (
    BoardOut,
    GoLiveIn,
    LinesIn,
    MissingOut,
    OrderIn,
    PortalDecisionIn,
    PortalDetailsIn,
    PortalLinkDetailOut,
    PortalLinkOut,
    PortalProgramOut,
    ProgramIn,
    ProgramLineIn,
    ProgramOut,
    ProgramQuery,
    ProgramSummaryOut,
    ProofVersionOut,
    RequirementIn,
    RequirementOut,
    RequirementPatch,
)

router = Router(tags=["onboarding"])


# Lookups --------------------------------------------------------------------------------


def _versions() -> QuerySet[ProofVersion]:
    # Newest first, without the files' bytes.
    return ProofVersion.objects.defer("content").select_related("uploaded_by").order_by("-number")


def _program(request: HttpRequest, program_id: int) -> Program:
    return get_object_or_404(queries.visible_programs(request.user), pk=program_id)


def _program_detail(request: HttpRequest, program_id: int) -> Program:
    programs = (
        queries.visible_programs(request.user)
        .select_related("sold_by")
        .prefetch_related(
            "lines__service",
            Prefetch("proofs__versions", queryset=_versions()),
            Prefetch("portal_links", queryset=PortalLink.objects.select_related("created_by")),
        )
    )
    return get_object_or_404(programs, pk=program_id)


def _portal_program(link: PortalLink) -> Program:
    programs = Program.objects.select_related("client").prefetch_related(
        Prefetch("proofs__versions", queryset=_versions())
    )
    return programs.get(pk=link.program_id)


def _lines(lines: list[ProgramLineIn]) -> list[services.Line]:
    known = {s.code: s for s in ServiceLine.objects.filter(code__in=[x.service for x in lines])}
    problems = {
        f"lines[{index}].service": [f"No service has the code {line.service!r}."]
        for index, line in enumerate(lines)
        if line.service not in known
    }
    if problems:
        raise ValidationError(problems)
    return [services.Line(known[x.service], x.monthly_budget) for x in lines]


def _link(request: HttpRequest, link_id: int) -> PortalLink:
    links = PortalLink.objects.filter(
        program__in=queries.visible_programs(request.user)
    ).select_related("program__client", "created_by")
    return get_object_or_404(links, pk=link_id)


@contextmanager
def _fields_renamed(names: dict[str, str]) -> Iterator[None]:
    """A service names a model field or a detail's key; say it as the request body does."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        renamed = {names.get(field, field): errs for field, errs in error.error_dict.items()}
        raise ValidationError(renamed) from error


def _as_details(keys: Iterable[str], *, besides: Container[str] = ()) -> dict[str, str]:
    """Error names for the given detail keys: `details.<key>` (keys that are also a field
    of the body, in `besides`, keep naming that field)."""
    return {key: f"details.{key}" for key in keys if key not in besides}


# Programs -------------------------------------------------------------------------------


@router.post("/programs", response={201: ProgramOut})
def create_program(request: HttpRequest, payload: ProgramIn) -> Any:
    """Record a program being sold: a draft until marked sold, with its order so far."""
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    with _fields_renamed(_as_details(payload.details, besides=ProgramIn.model_fields)):
        program = services.create_program(
            by=request.user,
            client=client,
            name=payload.name,
            start_date=payload.start_date,
            end_date=payload.end_date,
            lines=_lines(payload.lines),
            details=payload.details,
            go_live_at=payload.go_live_at,
        )
    return Status(201, _program_detail(request, program.pk))


@router.get("/programs", response=list[ProgramSummaryOut])
@paginate(Pages, page_size=50, max_page_size=500)
def list_programs(request: HttpRequest, filters: Query[ProgramQuery]) -> Any:
    programs = queries.visible_programs(request.user)
    if filters.client is not None:
        programs = programs.filter(client_id=filters.client)
    if filters.status:
        programs = programs.filter(status=filters.status)
    return programs.order_by("-created_at", "-id")


@router.get("/programs/{program_id}", response=ProgramOut)
def get_program(request: HttpRequest, program_id: int) -> Any:
    return _program_detail(request, program_id)


@router.patch("/programs/{program_id}/order", response=ProgramOut)
def update_order(request: HttpRequest, program_id: int, payload: OrderIn) -> Any:
    """Change purchase-order details; every bad value is named, and then nothing is saved."""
    program = _program(request, program_id)
    with _fields_renamed(_as_details(payload.details)):
        services.update_order(by=request.user, program=program, details=payload.details)
    return _program_detail(request, program_id)


@router.put("/programs/{program_id}/lines", response=ProgramOut)
def set_lines(request: HttpRequest, program_id: int, payload: LinesIn) -> Any:
    """Replace the program's services and their monthly budgets."""
    program = _program(request, program_id)
    services.set_program_lines(by=request.user, program=program, lines=_lines(payload.lines))
    return _program_detail(request, program_id)


@router.post("/programs/{program_id}/sold", response=ProgramOut)
def mark_sold(request: HttpRequest, program_id: int) -> Any:
    """The order is signed: onboarding starts, and a portal link for the client is made."""
    services.mark_program_sold(by=request.user, program=_program(request, program_id))
    return _program_detail(request, program_id)


@router.post("/programs/{program_id}/go-live", response=ProgramOut)
def plan_go_live(request: HttpRequest, program_id: int, payload: GoLiveIn) -> Any:
    """Set or move the planned go-live: the dates and meetings hanging on it move too."""
    program = _program(request, program_id)
    with _fields_renamed({"go_live_at": "at"}):
        services.plan_go_live(by=request.user, program=program, at=payload.at)
    return _program_detail(request, program_id)


@router.get("/programs/{program_id}/missing", response=list[MissingOut])
def missing_details(request: HttpRequest, program_id: int) -> Any:
    """Required details the order does not hold yet, per service."""
    return requirements.missing_details(_program(request, program_id))


@router.get("/programs/{program_id}/timings", response=dict[str, float])
def program_timings(request: HttpRequest, program_id: int) -> Any:
    """Days from the sale to each onboarding step done, and to go-live ('Live')."""
    return queries.program_timings(_program(request, program_id))


# Proofs ---------------------------------------------------------------------------------


@router.post("/programs/{program_id}/proofs", response={201: ProofVersionOut})
def upload_proof(
    request: HttpRequest,
    program_id: int,
    file: File[UploadedFile | None] = None,
    kind: Form[str] = "",
    title: Form[str] = "",
    note: Form[str] = "",
) -> Any:
    """Add a version of a creative or targeting proof (multipart: kind, title, note, file);
    the same kind and title make the next version of that proof."""
    program = _program(request, program_id)
    if file is None:
        raise invalid("file", "Attach the proof's file.")
    upload = services.ProofUpload(
        filename=file.name or "", content_type=file.content_type or "", content=file.read()
    )
    version = services.upload_proof(
        by=request.user, program=program, kind=kind, title=title, upload=upload, note=note
    )
    return Status(201, version)


# Portal links ---------------------------------------------------------------------------


@router.post("/programs/{program_id}/links", response={201: PortalLinkOut})
def issue_link(request: HttpRequest, program_id: int) -> Any:
    """A new portal link for the client's contacts."""
    program = _program(request, program_id)
    return Status(201, services.issue_portal_link(by=request.user, program=program))


@router.post("/links/{link_id}/revoke", response=PortalLinkDetailOut)
def revoke_link(request: HttpRequest, link_id: int) -> Any:
    """The link stops working at once."""
    return services.revoke_portal_link(by=request.user, link=_link(request, link_id))


@router.post("/programs/{program_id}/links/send", response={201: MessageOut})
def send_link(request: HttpRequest, program_id: int) -> Any:
    """E-mail the client's contacts their portal link (a new one if none works)."""
    program = _program(request, program_id)
    return Status(201, services.send_portal_link(by=request.user, program=program))


# The board and the requirements -----------------------------------------------------------


@router.get("/onboarding/board", response=BoardOut)
def onboarding_board(request: HttpRequest) -> Any:
    """Sold programs in the column of the step they wait on, and the onboarding timings."""
    return queries.onboarding_board(request.user)


@router.get("/requirements", response=list[RequirementOut])
def list_requirements(request: HttpRequest, service: str = "") -> Any:
    """What purchase orders must hold: every program's, then each service's."""
    found = DetailRequirement.objects.select_related("service")
    if not service:
        return found
    if not ServiceLine.objects.filter(code=service).exists():
        raise invalid("service", f"No service has the code {service!r}.")
    return found.filter(service__code=service)


# Configuring the requirements: the permission of the pages, asked before any lookup so
# that a refused caller learns nothing; the services ask again.


@router.post("/requirements", response={201: RequirementOut})
def create_requirement(request: HttpRequest, payload: RequirementIn) -> Any:
    """Ask purchase orders for a detail: of every program, or of one service's."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    requirement = save_requirement(by=request.user, requirement=None, data=payload.model_dump())
    return Status(201, requirement)


@router.patch("/requirements/{requirement_id}", response=RequirementOut)
def update_requirement(request: HttpRequest, requirement_id: int, payload: RequirementPatch) -> Any:
    """Change a requirement; the key of a detail orders hold stays as it is."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    requirement = get_object_or_404(DetailRequirement, pk=requirement_id)
    sent = fields_sent(payload, nullable=frozenset({"service"}))  # no service: every order
    return save_requirement(by=request.user, requirement=requirement, data=sent)


@router.delete("/requirements/{requirement_id}", response={204: None})
def delete_requirement(request: HttpRequest, requirement_id: int) -> Any:
    """Stop asking for a detail; one that orders already hold is kept (make it optional)."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    requirement = get_object_or_404(DetailRequirement, pk=requirement_id)
    remove_requirement(by=request.user, requirement=requirement)
    return Status(204, None)


# The client's portal ----------------------------------------------------------------------


@router.get("/portal/{token}", response=PortalProgramOut, auth=None, tags=["portal"])
def portal_program(request: HttpRequest, token: str) -> Any:
    """The program as the client sees it."""
    return _portal_program(portal.resolve(token))


@router.post("/portal/{token}/details", response=PortalProgramOut, auth=None, tags=["portal"])
def portal_details(request: HttpRequest, token: str, payload: PortalDetailsIn) -> Any:
    """The client sends missing order details; steps waiting for them complete."""
    link = portal.resolve(token)
    with _fields_renamed(_as_details(payload.details)):
        services.supply_details(link=link, details=payload.details, contact=payload.contact)
    return _portal_program(link)


@router.post(
    "/portal/{token}/proofs/{version_id}/decision",
    response=PortalProgramOut,
    auth=None,
    tags=["portal"],
)
def portal_decision(
    request: HttpRequest, token: str, version_id: int, payload: PortalDecisionIn
) -> Any:
    """The client approves the latest version of a proof, or sends it back with comments."""
    link = portal.resolve(token)
    version = get_object_or_404(_versions(), pk=version_id, proof__program_id=link.program_id)
    services.decide_proof(
        link=link,
        version=version,
        decision=payload.decision,
        comment=payload.comment,
        contact=payload.contact,
    )
    return _portal_program(link)
