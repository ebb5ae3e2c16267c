"""API for tokens, users and their roles, roles, business units and teams."""

from typing import Any

from axes.helpers import get_lockout_message
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from ninja import Router, Status
from ninja.pagination import paginate

from retainops.core import services
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import Problems
from retainops.core.imports import visible_jobs
from retainops.core.models import BusinessUnit, Role, Team, User
from retainops.core.pagination import Pages
from retainops.core.saved_filters import saved_filters_of
from retainops.core.schemas import (
    ImportJobOut,
    LockedOut,
    RoleOut,
    SavedFilterIn,
    SavedFilterOut,
    SearchGroupOut,
    TeamOut,
    TokenIn,
    TokenOut,
    UnitIn,
    UnitOut,
    UnitPatch,
    UserAccessIn,
    UserOut,
)
from retainops.core.search import search as search_everything

router = Router(tags=["people"])


@router.post("/auth/token", auth=None, response={200: TokenOut, 429: LockedOut}, tags=["auth"])
def obtain_token(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    """A bearer token for a username and password. Wrong passwords count toward the same
    lockout as the login page: after AXES_FAILURE_LIMIT of them for one username from one
    address, the answer is 429, even to the right password, until the cool-off passes."""
    token = services.issue_api_token(
        request=request, username=payload.username, password=payload.password
    )
    return {"token": token}


def answer_locked_out_sign_in(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer to a sign-in refused because of too many wrong passwords
    (settings.AXES_LOCKOUT_CALLABLE; django-axes' middleware calls it).

    The API answers JSON with the wait in seconds; the login page is shown again with
    the reason where its errors go. Both carry Retry-After: every try while locked out
    starts the cool-off again, so the wait is always the whole cool-off.
    """
    message = str(get_lockout_message())
    status = settings.AXES_HTTP_RESPONSE_CODE
    wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
    match = getattr(request, "resolver_match", None)
    context = getattr(original_response, "context_data", None) or {}
    response: HttpResponse
    if match is not None and match.namespace == "api":
        response = JsonResponse({"detail": message, "retry_after_seconds": wait}, status=status)
    elif isinstance(original_response, TemplateResponse) and "form" in context:
        form = context["form"]
        form.errors.clear()  # the lockout is the answer now, not "wrong password"
        form.add_error(None, message)
        page = TemplateResponse(request, original_response.template_name, context, status=status)
        response = page.render()
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response


def _roles_by_code(codes: list[str]) -> list[Role]:
    from retainops.core.errors import invalid

    found = {r.code: r for r in Role.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise invalid("roles", f"Unknown roles: {', '.join(missing)}.")
    return [found[c] for c in codes]


def _units_by_code(codes: list[str]) -> list[BusinessUnit]:
    from retainops.core.errors import invalid

    found = {u.code: u for u in BusinessUnit.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise invalid("business_units", f"Unknown business units: {', '.join(missing)}.")
    return [found[c] for c in codes]


@router.get("/me", response=UserOut)
def me(request: HttpRequest) -> Any:
    return request.user


@router.get("/users", response=list[UserOut])
@paginate(Pages, page_size=50, max_page_size=500)
def list_users(request: HttpRequest, search: str = "", role: str = "") -> Any:
    require_capability(request.user, Capability.MANAGE_USERS)
    users = User.objects.prefetch_related("roles", "business_units").order_by("username")
    if search:
        users = users.filter(username__icontains=search)
    if role:
        users = users.filter(roles__code=role)
    return users


@router.get("/users/{user_id}", response=UserOut)
def get_user(request: HttpRequest, user_id: int) -> Any:
    require_capability(request.user, Capability.MANAGE_USERS)
    return get_object_or_404(User, pk=user_id)


@router.put("/users/{user_id}/access", response=UserOut)
def set_user_access(request: HttpRequest, user_id: int, payload: UserAccessIn) -> Any:
    require_capability(request.user, Capability.MANAGE_USERS)
    user = get_object_or_404(User, pk=user_id)
    return services.set_user_access(
        by=request.user,
        user=user,
        roles=None if payload.roles is None else _roles_by_code(payload.roles),
        units=None if payload.business_units is None else _units_by_code(payload.business_units),
    )


@router.get("/search", response=list[SearchGroupOut], tags=["search"])
def search(request: HttpRequest, q: str) -> Any:
    """What the header's search box finds for `q` (2 to 100 characters), among the
    records the caller may see, grouped by kind."""
    return search_everything(request.user, q)


@router.get("/roles", response=list[RoleOut])
def list_roles(request: HttpRequest) -> Any:
    return Role.objects.all()


@router.get("/business-units", response=list[UnitOut])
def list_units(request: HttpRequest) -> Any:
    return BusinessUnit.objects.all()


@router.post("/business-units", response={201: UnitOut})
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    return Status(201, services.save_business_unit(by=request.user, unit=None, data=payload.dict()))


@router.patch("/business-units/{unit_id}", response=UnitOut)
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch) -> Any:
    unit = get_object_or_404(BusinessUnit, pk=unit_id)
    return services.save_business_unit(
        by=request.user,
        unit=unit,
        data=payload.dict(exclude_unset=True),
        problems=Problems(payload.problems()),
    )


@router.post("/business-units/{unit_id}/retire", response=UnitOut)
def retire_unit(request: HttpRequest, unit_id: int) -> Any:
    """Retire a unit, as its page does by clearing "Active": its clients, staff and teams
    stay; it takes no new clients."""
    unit = get_object_or_404(BusinessUnit, pk=unit_id)
    return services.retire_business_unit(by=request.user, unit=unit)


@router.get("/teams", response=list[TeamOut])
def list_teams(request: HttpRequest) -> Any:
    return Team.objects.prefetch_related("members")


@router.get("/import-jobs/{job_id}", response=ImportJobOut, tags=["import/export"])
def get_import_job(request: HttpRequest, job_id: int) -> Any:
    """An import queued by POST /imports/{kind}: its progress, then its report. Only the
    person who queued it (or someone importing for every unit) sees it."""
    return get_object_or_404(visible_jobs(request.user), pk=job_id)


# Saved filters: each person's own; anyone else's is not found.


@router.get("/saved-filters", response=list[SavedFilterOut], tags=["saved filters"])
def list_saved_filters(request: HttpRequest, page: str = "") -> Any:
    """The caller's saved filters (`page=clients`: of that list only), by name."""
    mine = saved_filters_of(request.user)
    return mine.filter(page=page) if page else mine


@router.post("/saved-filters", response={201: SavedFilterOut}, tags=["saved filters"])
def save_filter(request: HttpRequest, payload: SavedFilterIn) -> Any:
    """Keep filters under a name; the same name on the same page replaces them."""
    saved = services.save_filter(
        by=request.user, page=payload.page, name=payload.name, query=payload.query
    )
    return Status(201, saved)


@router.delete("/saved-filters/{filter_id}", response={204: None}, tags=["saved filters"])
def delete_saved_filter(request: HttpRequest, filter_id: int) -> Any:
    saved = get_object_or_404(saved_filters_of(request.user), pk=filter_id)
    services.delete_filter(by=request.user, saved=saved)
    return Status(204, None)
