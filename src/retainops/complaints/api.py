"""API for complaints: raise them, move them along their life cycle, resolve them with a
root cause and improvement actions, read where their clocks stand; and their
configuration: categories, root causes, service-level policies and business hours.

Thin, like the pages: each endpoint finds the complaint among those the caller sees
(another unit's is "not found"), then calls the same service as the pages; who may do
what is decided in the services. Bad input answers 422 naming the field, an action's as
`actions[<index>].<field>`.
"""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from retainops.clients.models import Contact
from retainops.clients.queries import visible_clients
from retainops.complaints import admin_services, queries, services
from retainops.complaints.models import (
    BusinessCalendar,
    Complaint,
    ComplaintCategory,
    ImprovementAction,
    RootCause,
    ServiceLevelPolicy,
)
from retainops.complaints.schemas import (
    ActionIn,
    ActionOut,
    CalendarIn,
    CalendarOut,
    CodeOut,
    ComplaintIn,
    ComplaintOut,
    ComplaintQuery,
    ComplaintReassignIn,
    NoteIn,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    ReopenIn,
    ResolveIn,
)
from retainops.complaints.services import ActionPlan
from retainops.core.errors import Problems, invalid
from retainops.core.models import BusinessUnit, User
from retainops.core.pagination import Pages

router = Router(tags=["complaints"])

STEPS = {
    "acknowledge": services.acknowledge_complaint,
    "start": services.start_work,
    "wait": services.wait_on_client,
    "resume": services.resume_work,
    "close": services.close_complaint,
}


def _complaints(request: HttpRequest) -> Any:
    found = queries.visible_complaints(request.user)
    return (
        queries.with_clock_data(found)
        .select_related("raised_by", "root_cause")
        .prefetch_related("actions__owner")
    )


def _complaint(request: HttpRequest, complaint_id: int) -> Complaint:
    return get_object_or_404(_complaints(request), pk=complaint_id)


def _person(
    username: str | None, field: str, problems: Problems, *, required: bool = False
) -> User | None:
    if not username:
        if required:
            problems.add(field, "Name a person by username.")
        return None
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        problems.add(field, f"No active person is called {username!r}.")
    return person


# Complaints -----------------------------------------------------------------------------


@router.get("/complaints", response=list[ComplaintOut])
@paginate(Pages, page_size=50, max_page_size=500)
def list_complaints(request: HttpRequest, filters: Query[ComplaintQuery]) -> Any:
    wanted = queries.ComplaintFilter(
        q=filters.search,
        status=filters.status or "",
        severity=filters.severity or "",
        open_only=filters.open,
        mine=filters.mine,
        client_id=filters.client,
        theme_id=filters.theme,
    )
    return queries.filter_complaints(_complaints(request), wanted, request.user)


@router.get("/complaints/{complaint_id}", response=ComplaintOut)
def get_complaint(request: HttpRequest, complaint_id: int) -> Any:
    return _complaint(request, complaint_id)


@router.post("/complaints", response={201: ComplaintOut})
def raise_complaint(request: HttpRequest, payload: ComplaintIn) -> Any:
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    problems = Problems()
    category = ComplaintCategory.objects.filter(code=payload.category).first()
    if category is None:
        problems.add("category", f"No category has the code {payload.category!r}.")
    contact = None
    if payload.contact is not None:
        contact = Contact.objects.filter(pk=payload.contact).first()
        if contact is None:
            problems.add("contact", "No such contact.")
    owner = _person(payload.owner, "owner", problems)
    problems.raise_if_any()
    raised = services.raise_complaint(
        by=request.user,
        client=client,
        channel=payload.channel,
        severity=payload.severity,
        category=category,
        summary=payload.summary,
        description=payload.description,
        contact=contact,
        owner=owner,
    )
    return Status(201, _complaint(request, raised.pk))


def _plans(actions: list[ActionIn], problems: Problems) -> list[ActionPlan]:
    plans = []
    for index, action in enumerate(actions):
        owner = _person(action.owner, f"actions[{index}].owner", problems, required=True)
        if owner is not None:
            plans.append(ActionPlan(action.title, owner, action.due_date))
    return plans


@router.post("/complaints/{complaint_id}/resolve", response=ComplaintOut)
def resolve_complaint(request: HttpRequest, complaint_id: int, payload: ResolveIn) -> Any:
    complaint = _complaint(request, complaint_id)
    problems = Problems()
    cause = None
    if payload.root_cause:
        cause = RootCause.objects.filter(code=payload.root_cause).first()
        if cause is None:
            problems.add("root_cause", f"No root cause has the code {payload.root_cause!r}.")
    plans = _plans(payload.actions, problems)
    problems.raise_if_any()
    services.resolve_complaint(
        complaint=complaint,
        by=request.user,
        root_cause=cause,
        resolution=payload.resolution,
        actions=plans,
    )
    return _complaint(request, complaint_id)


@router.post("/complaints/{complaint_id}/reopen", response=ComplaintOut)
def reopen_complaint(request: HttpRequest, complaint_id: int, payload: ReopenIn) -> Any:
    complaint = _complaint(request, complaint_id)
    services.reopen_complaint(complaint=complaint, by=request.user, reason=payload.reason)
    return _complaint(request, complaint_id)


@router.post("/complaints/{complaint_id}/reassign", response=ComplaintOut)
def reassign_complaint(
    request: HttpRequest, complaint_id: int, payload: ComplaintReassignIn
) -> Any:
    complaint = _complaint(request, complaint_id)
    problems = Problems()
    owner = _person(payload.owner, "owner", problems, required=True)
    problems.raise_if_any()
    assert owner is not None  # a missing owner was refused above
    services.reassign_complaint(complaint=complaint, by=request.user, owner=owner)
    return _complaint(request, complaint_id)


@router.post("/complaints/{complaint_id}/actions", response={201: ActionOut})
def add_action(request: HttpRequest, complaint_id: int, payload: ActionIn) -> Any:
    complaint = _complaint(request, complaint_id)
    problems = Problems()
    owner = _person(payload.owner, "owner", problems, required=True)
    problems.raise_if_any()
    assert owner is not None  # a missing owner was refused above
    plan = ActionPlan(payload.title, owner, payload.due_date)
    action = services.add_improvement_action(complaint=complaint, by=request.user, plan=plan)
    return Status(201, action)


@router.post("/improvement-actions/{action_id}/done", response=ActionOut)
def complete_action(request: HttpRequest, action_id: int) -> Any:
    seen = queries.visible_complaints(request.user)
    action = get_object_or_404(
        ImprovementAction.objects.select_related("complaint__client", "owner"),
        pk=action_id,
        complaint__in=seen,
    )
    return services.complete_improvement_action(action=action, by=request.user)


# Registered after the named actions above, so that they are matched first.
@router.post("/complaints/{complaint_id}/{step}", response=ComplaintOut)
def move_complaint(request: HttpRequest, complaint_id: int, step: str, payload: NoteIn) -> Any:
    """One step of the life cycle: `acknowledge`, `start`, `wait` (on the client: the
    resolution clock pauses), `resume` or `close`."""
    complaint = _complaint(request, complaint_id)
    if step not in STEPS:
        raise invalid("step", f"Choose one of: {', '.join(STEPS)}.")
    STEPS[step](complaint=complaint, by=request.user, note=payload.note)
    return _complaint(request, complaint_id)


# Configuration --------------------------------------------------------------------------


@router.get("/complaint-categories", response=list[CodeOut])
def list_categories(request: HttpRequest) -> Any:
    return ComplaintCategory.objects.filter(is_active=True)


@router.get("/root-causes", response=list[CodeOut])
def list_root_causes(request: HttpRequest) -> Any:
    return RootCause.objects.filter(is_active=True)


@router.get("/service-levels", response=list[PolicyOut])
def list_policies(request: HttpRequest) -> Any:
    return ServiceLevelPolicy.objects.all()


@router.post("/service-levels", response={201: PolicyOut})
def create_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    data: dict[str, Any] = payload.dict()
    if payload.business_unit is not None:
        data["business_unit"] = get_object_or_404(BusinessUnit, pk=payload.business_unit)
    policy = admin_services.save_policy(by=request.user, policy=None, data=data)
    return Status(201, policy)


@router.patch("/service-levels/{policy_id}", response=PolicyOut)
def change_policy(request: HttpRequest, policy_id: int, payload: PolicyPatch) -> Any:
    policy = get_object_or_404(ServiceLevelPolicy, pk=policy_id)
    data = payload.dict(exclude_none=True)
    return admin_services.save_policy(by=request.user, policy=policy, data=data)


@router.get("/business-units/{unit_id}/business-hours", response=CalendarOut)
def get_calendar(request: HttpRequest, unit_id: int) -> Any:
    return get_object_or_404(BusinessCalendar, business_unit_id=unit_id)


@router.put("/business-units/{unit_id}/business-hours", response=CalendarOut)
def set_calendar(request: HttpRequest, unit_id: int, payload: CalendarIn) -> Any:
    unit = get_object_or_404(BusinessUnit, pk=unit_id)
    return admin_services.save_calendar(by=request.user, unit=unit, data=payload.dict())
