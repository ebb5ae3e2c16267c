"""API for change requests: raising, changing and submitting them, the retention calls on
them, offboarding, the planner, the monthly view of contract changes, and the reports;
and their configuration, as on the pages: the reasons clients give and the approval
routes that pick a playbook per business unit and kind.

Thin, like the pages: each endpoint resolves the request it names among those the caller
sees (another unit's request is "not found"), then calls the same service or read as the
pages; who may do what is decided in the services. Approval steps are decided through the
engine's task endpoints (POST /tasks/{id}/decide): a request lists its runs and their
tasks' ids for that. Bad input answers 422 naming the field, a line's as
`lines[<index>].<field>`.
"""

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from retainops.changes import admin_services, queries, services
from retainops.changes.models import (
    ApprovalRoute,
    ChangeReason,
    ChangeRequest,
    Removal,
    SaveAttempt,
)
from retainops.changes.schemas import (
    ChangeLineIn,
    ChangeRequestIn,
    ChangeRequestOut,
    ChangeRequestPatch,
    ChangeRequestSummaryOut,
    HandOverIn,
    MonthOut,
    PlannerQuery,
    ReasonIn,
    ReasonListedOut,
    ReasonPatch,
    ReasonQuery,
    RemovalOut,
    ReportQuery,
    ReportsOut,
    RequestQuery,
    RouteIn,
    RouteOut,
    SaveAttemptIn,
    SaveAttemptOut,
    WithdrawIn,
)
from retainops.clients.models import ServiceLine
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.models import BusinessUnit, User
from retainops.core.pagination import Pages
from retainops.core.schemas import fields_sent
from retainops.core.spreadsheets import write_csv
from retainops.playbooks.models import Playbook

router = Router(tags=["changes"])


# Lookups --------------------------------------------------------------------------------------


def _requests(request: HttpRequest) -> QuerySet[ChangeRequest]:
    return queries.visible_requests(request.user)


def _change_request(request: HttpRequest, request_id: int) -> ChangeRequest:
    return get_object_or_404(_requests(request), pk=request_id)


def _detail(request: HttpRequest, request_id: int) -> ChangeRequest:
    found = (
        _requests(request)
        .select_related("assigned_to")
        .prefetch_related(
            "lines__service",
            Prefetch("saves", queryset=SaveAttempt.objects.select_related("by")),
            Prefetch(
                "removals",
                queryset=Removal.objects.select_related("tool", "removed_by", "verified_by"),
            ),
        )
    )
    return get_object_or_404(found, pk=request_id)


def _removal(request: HttpRequest, removal_id: int) -> Removal:
    removals = Removal.objects.filter(request__in=_requests(request)).select_related(
        "request__client", "tool", "removed_by", "verified_by"
    )
    return get_object_or_404(removals, pk=removal_id)


def _reason_data(payload: Schema) -> dict[str, Any]:
    return fields_sent(payload)


def _route_data(payload: RouteIn) -> dict[str, Any]:
    """The route's unit and playbook found by their codes; every unknown one is named."""
    unit = None
    if payload.business_unit is not None:
        unit = BusinessUnit.objects.filter(code=payload.business_unit).first()
    playbook = Playbook.objects.filter(key=payload.playbook).first()
    problems: dict[str, list[str]] = {}
    if payload.business_unit is not None and unit is None:
        problems["business_unit"] = [f"No business unit has the code {payload.business_unit!r}."]
    if playbook is None:
        problems["playbook"] = [f"No playbook has the key {payload.playbook!r}."]
    if problems:
        raise ValidationError(problems)
    kind = payload.kind.value if payload.kind else ""
    return {"business_unit": unit, "kind": kind, "playbook": playbook}


def _reason(code: str) -> ChangeReason:
    found = ChangeReason.objects.filter(code=code).first()
    if found is None:
        raise invalid("reason", f"No reason has the code {code!r}.")
    return found


def _user(username: str, field: str) -> User:
    found = User.objects.filter(username=username).first()
    if found is None:
        raise invalid(field, f"No user is called {username!r}.")
    return found


def _lines(lines: list[ChangeLineIn]) -> list[services.LineChange]:
    known = {s.code: s for s in ServiceLine.objects.filter(code__in=[x.service for x in lines])}
    problems = {
        f"lines[{index}].service": [f"No service has the code {line.service!r}."]
        for index, line in enumerate(lines)
        if line.service not in known
    }
    if problems:
        raise ValidationError(problems)
    return [services.LineChange(known[x.service], x.action.value, x.monthly_budget) for x in lines]


def _filters(query: RequestQuery) -> queries.RequestFilters:
    return queries.RequestFilters(
        kind=query.kind.value if query.kind else "",
        status=query.status.value if query.status else "",
        business_unit=query.unit,
        client=query.client,
        effective_from=query.effective_from,
        effective_to=query.effective_to,
        search=query.search.strip(),
    )


def _changes(payload: ChangeRequestPatch) -> dict[str, Any]:
    """The fields sent, the reason resolved; a null for a field that needs a value is named."""
    sent = fields_sent(payload, exclude={"lines"})
    if "reason" in sent:
        sent["reason"] = _reason(sent["reason"])
    return sent


def _csv(rows: list[list[str]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    write_csv(buffer, rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Reads -------------------------------------------------------------------------------------
# The fixed paths come before /change-requests/{request_id}.


@router.get("/change-reasons", response=list[ReasonListedOut])
def list_reasons(request: HttpRequest, filters: Query[ReasonQuery]) -> Any:
    """The reasons a request may give (`retired=true`: the retired ones too)."""
    reasons = ChangeReason.objects.all()
    return reasons if filters.retired else reasons.filter(is_active=True)


@router.get("/change-requests", response=list[ChangeRequestSummaryOut])
@paginate(Pages, page_size=50, max_page_size=500)
def list_requests(request: HttpRequest, filters: Query[RequestQuery]) -> Any:
    return queries.filter_requests(request.user, _filters(filters))


@router.get(
    "/change-requests/planner",
    response=list[ChangeRequestSummaryOut],
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def planner(request: HttpRequest, filters: Query[PlannerQuery]) -> Any:
    """Pauses and cancellations on their way or in effect, soonest first; `format=csv`
    gives the same rows as a spreadsheet."""
    planned = queries.planner(request.user, _filters(filters))
    if filters.format == "csv":
        return _csv(queries.planner_rows(planned), "planner.csv")
    return planned


@router.get("/change-requests/monthly", response=list[MonthOut])
def monthly(request: HttpRequest, filters: Query[RequestQuery]) -> Any:
    """Approved contract changes grouped by the month they take effect."""
    months = queries.monthly_contract_changes(request.user, _filters(filters))
    return [{"month": month, "requests": found} for month, found in months]


@router.get("/change-requests/reports", response=ReportsOut)
def reports(request: HttpRequest, filters: Query[ReportQuery]) -> Any:
    """Save rates, requests by kind and reason, approval cycle times, revenue saved and lost,
    over the requests raised from `from` up to (not including) `to`. Each request counts
    once, by its final outcome (what happened once it took effect, else its latest save
    attempt); the save rate is the retention team's, over the requests it called on."""
    return queries.reports(request.user, start=filters.start, end=filters.end)


@router.get("/change-requests/{request_id}", response=ChangeRequestOut)
def get_request(request: HttpRequest, request_id: int) -> Any:
    return _detail(request, request_id)


# Changes ----------------------------------------------------------------------------------------


@router.post("/change-requests", response={201: ChangeRequestOut})
def raise_request(request: HttpRequest, payload: ChangeRequestIn) -> Any:
    """Open a request with the escalation chosen; a draft until submitted."""
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    raised = services.raise_change_request(
        by=request.user,
        client=client,
        kind=payload.kind.value,
        reason=_reason(payload.reason),
        escalation=payload.escalation.value,
        effective_date=payload.effective_date,
        reason_text=payload.reason_text,
        credit_amount=payload.credit_amount,
        leaves_platform=payload.leaves_platform,
        notes=payload.notes,
        lines=_lines(payload.lines),
    )
    return Status(201, _detail(request, raised.pk))


@router.patch("/change-requests/{request_id}", response=ChangeRequestOut)
def update_request(request: HttpRequest, request_id: int, payload: ChangeRequestPatch) -> Any:
    """Change a draft or returned request."""
    found = _change_request(request, request_id)
    lines = _lines(payload.lines) if payload.lines is not None else None
    services.update_change_request(
        by=request.user, request=found, changes=_changes(payload), lines=lines
    )
    return _detail(request, request_id)


@router.post("/change-requests/{request_id}/save-attempts", response={201: SaveAttemptOut})
def record_save_attempt(request: HttpRequest, request_id: int, payload: SaveAttemptIn) -> Any:
    """Record a retention call and how it ended."""
    attempt = services.record_save_attempt(
        by=request.user,
        request=_change_request(request, request_id),
        outcome=payload.outcome.value,
        notes=payload.notes,
        at=payload.at,
    )
    return Status(201, attempt)


@router.post("/change-requests/{request_id}/hand-over", response=ChangeRequestOut)
def hand_over(request: HttpRequest, request_id: int, payload: HandOverIn) -> Any:
    """The retention team hands the request to an account manager, who then submits it."""
    services.hand_to_account_manager(
        by=request.user,
        request=_change_request(request, request_id),
        to=_user(payload.to, "to"),
    )
    return _detail(request, request_id)


@router.post("/change-requests/{request_id}/submit", response=ChangeRequestOut)
def submit(request: HttpRequest, request_id: int) -> Any:
    """Send the request into its approval chain."""
    services.submit_change_request(by=request.user, request=_change_request(request, request_id))
    return _detail(request, request_id)


@router.post("/change-requests/{request_id}/withdraw", response=ChangeRequestOut)
def withdraw(request: HttpRequest, request_id: int, payload: WithdrawIn) -> Any:
    """Withdraw the request, saying why; its approval run stops."""
    services.withdraw_change_request(
        by=request.user, request=_change_request(request, request_id), reason=payload.reason
    )
    return _detail(request, request_id)


# Offboarding ------------------------------------------------------------------------------------


@router.post("/removals/{removal_id}/removed", response=RemovalOut)
def mark_removed(request: HttpRequest, removal_id: int) -> Any:
    """The partner team took the client out of the tool."""
    services.mark_removed(by=request.user, removal=_removal(request, removal_id))
    return _removal(request, removal_id)


@router.post("/removals/{removal_id}/verified", response=RemovalOut)
def verify_removal(request: HttpRequest, removal_id: int) -> Any:
    """The department manager checked the removal was done."""
    services.verify_removal(by=request.user, removal=_removal(request, removal_id))
    return _removal(request, removal_id)


# Configuration: reasons and approval routes ------------------------------------------------
# The same permissions as the pages (the catalogue's for reasons, the playbooks' for
# routes), asked before any lookup so that a refused caller learns nothing; the services
# ask again.


@router.post("/change-reasons", response={201: ReasonListedOut})
def create_reason(request: HttpRequest, payload: ReasonIn) -> Any:
    """Add a reason clients may give."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    reason = admin_services.save_reason(by=request.user, reason=None, data=payload.model_dump())
    return Status(201, reason)


@router.patch("/change-reasons/{code}", response=ReasonListedOut)
def update_reason(request: HttpRequest, code: str, payload: ReasonPatch) -> Any:
    """Change a reason's code, label or whether it is offered."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    reason = get_object_or_404(ChangeReason, code=code)
    return admin_services.save_reason(by=request.user, reason=reason, data=_reason_data(payload))


@router.post("/change-reasons/{code}/retire", response=ReasonListedOut)
def retire_reason(request: HttpRequest, code: str) -> Any:
    """No longer offer the reason; the requests that give it keep it."""
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    reason = get_object_or_404(ChangeReason, code=code)
    return admin_services.retire_reason(by=request.user, reason=reason)


@router.get("/approval-routes", response=list[RouteOut])
def list_routes(request: HttpRequest) -> Any:
    """Which playbook approves a kind of request in a business unit. The most specific
    route wins; where none applies, the shipped `change-approval`."""
    require_capability(request.user, Capability.MANAGE_PLAYBOOKS)
    return ApprovalRoute.objects.select_related("business_unit", "playbook")


@router.post("/approval-routes", response={201: RouteOut})
def create_route(request: HttpRequest, payload: RouteIn) -> Any:
    """Route a business unit's (or every unit's) kind of request (or every kind) to a
    playbook; one route per unit and kind."""
    require_capability(request.user, Capability.MANAGE_PLAYBOOKS)
    route = admin_services.save_route(by=request.user, route=None, data=_route_data(payload))
    return Status(201, route)


@router.delete("/approval-routes/{route_id}", response={204: None})
def delete_route(request: HttpRequest, route_id: int) -> Any:
    """Remove a route; runs already started keep their playbook."""
    require_capability(request.user, Capability.MANAGE_PLAYBOOKS)
    admin_services.delete_route(
        by=request.user, route=get_object_or_404(ApprovalRoute, pk=route_id)
    )
    return Status(204, None)
