"""API of contact plans: kinds and templates, a client's plan items, their occurrences
(done, moved, skipped), touchpoints, adherence, clients without a touchpoint, and the
team's workload ahead with reassignment.

Thin, like the pages: each endpoint finds what it names among what the caller sees
(another unit's client is "not found"), then calls the same service or read as the
pages. Bad input answers 422 naming the field (a template's items as `items[<i>].<field>`).
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from retainops.cadence import queries, services, workload
from retainops.cadence.choices import OccurrenceState
from retainops.cadence.models import ContactKind, Occurrence, PlanItem, PlanTemplate, Touchpoint
from retainops.cadence.schemas import (
    ApplyTemplateIn,
    ClientAdherenceOut,
    ContactTemplateIn,
    ContactTemplateOut,
    DoneIn,
    KindIn,
    KindOut,
    MoveIn,
    OccurrenceOut,
    PersonAdherenceOut,
    PersonLoadOut,
    PlanItemIn,
    PlanItemOut,
    PlanItemPatch,
    SkipIn,
    TouchpointIn,
    TouchpointOut,
    UntouchedOut,
    WorkItemOut,
    WorkloadReassignIn,
)
from retainops.clients.models import Client, ServiceLine
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.models import BusinessUnit, User
from retainops.core.pagination import Pages

router = Router(tags=["cadence"])


# Lookups --------------------------------------------------------------------------------


def _client(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(visible_clients(request.user), pk=client_id)


def _item(request: HttpRequest, item_id: int) -> PlanItem:
    items = PlanItem.objects.filter(client__in=visible_clients(request.user))
    return get_object_or_404(items.select_related("client", "kind"), pk=item_id)


def _occurrence(request: HttpRequest, occurrence_id: int) -> Occurrence:
    return get_object_or_404(queries.visible_occurrences(request.user), pk=occurrence_id)


def _kind(code: str, field: str = "kind") -> ContactKind:
    found = ContactKind.objects.filter(code=code, is_active=True).first()
    if found is None:
        raise ValidationError({field: [f"No contact kind has the code {code!r}."]})
    return found


def _user(username: str, field: str) -> User:
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise ValidationError({field: [f"No active person is called {username!r}."]})
    return found


def _item_values(sent: dict[str, Any]) -> dict[str, Any]:
    """The sent fields as the services take them: codes and usernames found."""
    values = {name: value for name, value in sent.items() if value is not None}
    if "kind" in values:
        values["kind"] = _kind(values["kind"])
    if "owner_user" in values:
        values["owner_user"] = _user(values["owner_user"], "owner_user")
    if "channel" in values:
        values["channel"] = str(values["channel"])
    return values


# Kinds and templates --------------------------------------------------------------------


@router.get("/cadence/kinds", response=list[KindOut])
def list_kinds(request: HttpRequest) -> QuerySet[ContactKind]:
    return ContactKind.objects.all()


@router.post("/cadence/kinds", response={201: KindOut})
def add_kind(request: HttpRequest, payload: KindIn) -> Status:
    data = payload.model_dump()
    data["channel"] = str(data["channel"])
    return Status(201, services.save_kind(by=request.user, data=data))


@router.get("/cadence/templates", response=list[ContactTemplateOut])
def list_templates(request: HttpRequest) -> QuerySet[PlanTemplate]:
    return PlanTemplate.objects.select_related("service_line")


@router.post("/cadence/templates", response={201: ContactTemplateOut})
def add_template(request: HttpRequest, payload: ContactTemplateIn) -> Status:
    require_capability(request.user, Capability.MANAGE_CATALOGUE)
    problems: dict[str, list[str]] = {}
    service_line = None
    if payload.service_line is not None:
        service_line = ServiceLine.objects.filter(code=payload.service_line).first()
        if service_line is None:
            problems["service_line"] = [f"No service line has the code {payload.service_line!r}."]
    items = []
    for index, entry in enumerate(payload.items):
        kind = ContactKind.objects.filter(code=entry.kind).first()
        if kind is None:
            problems[f"items[{index}].kind"] = [f"No contact kind has the code {entry.kind!r}."]
        items.append(
            {
                "kind": kind,
                "rrule": entry.rrule,
                "owner_role": entry.owner_role,
                "channel": str(entry.channel) if entry.channel else "",
                "at": entry.at,
            }
        )
    if problems:
        raise ValidationError(problems)
    template = services.save_template(
        by=request.user,
        name=payload.name,
        items=items,
        service_line=service_line,
        min_monthly_budget=payload.min_monthly_budget,
        priority=payload.priority,
    )
    return Status(201, template)


# A client's plan ------------------------------------------------------------------------


@router.get("/clients/{client_id}/plan", response=list[PlanItemOut])
def client_plan(request: HttpRequest, client_id: int) -> QuerySet[PlanItem]:
    return queries.plan_items(request.user, _client(request, client_id))


@router.post("/clients/{client_id}/plan", response={201: PlanItemOut})
def add_plan_item(request: HttpRequest, client_id: int, payload: PlanItemIn) -> Status:
    client = _client(request, client_id)
    values = _item_values(payload.model_dump())
    return Status(201, services.add_plan_item(by=request.user, client=client, **values))


@router.post("/clients/{client_id}/plan/apply-template", response={201: list[PlanItemOut]})
def apply_template(request: HttpRequest, client_id: int, payload: ApplyTemplateIn) -> Status:
    client = _client(request, client_id)
    template = None
    if payload.template is not None:
        template = PlanTemplate.objects.filter(name=payload.template, is_active=True).first()
        if template is None:
            raise ValidationError({"template": [f"No template is called {payload.template!r}."]})
    items = services.apply_template(
        by=request.user, client=client, template=template, starts_on=payload.starts_on
    )
    return Status(201, items)


@router.patch("/plan-items/{item_id}", response=PlanItemOut)
def update_plan_item(request: HttpRequest, item_id: int, payload: PlanItemPatch) -> PlanItem:
    item = _item(request, item_id)
    changes = _item_values(payload.model_dump(exclude_unset=True))
    return services.update_plan_item(by=request.user, item=item, changes=changes)


@router.post("/plan-items/{item_id}/{transition}", response=PlanItemOut)
def change_plan_item(request: HttpRequest, item_id: int, transition: str) -> PlanItem:
    """Pause, resume or end a plan item (`transition`: pause, resume, end)."""
    item = _item(request, item_id)
    return services.change_plan_item_state(by=request.user, item=item, transition=transition)


# Occurrences ----------------------------------------------------------------------------


@router.get("/clients/{client_id}/occurrences", response=list[OccurrenceOut])
@paginate(Pages, page_size=50, max_page_size=500)
def client_occurrences(
    request: HttpRequest, client_id: int, state: OccurrenceState | None = None
) -> QuerySet[Occurrence]:
    client = _client(request, client_id)
    found = queries.visible_occurrences(request.user).filter(client=client)
    if state is not None:
        found = found.filter(state=state)
    return found.order_by("-due_at", "-id")


@router.post("/occurrences/{occurrence_id}/done", response=OccurrenceOut)
def complete_occurrence(request: HttpRequest, occurrence_id: int, payload: DoneIn) -> Occurrence:
    occurrence = _occurrence(request, occurrence_id)
    services.complete_occurrence(by=request.user, occurrence=occurrence, notes=payload.notes)
    return _occurrence(request, occurrence_id)


@router.post("/occurrences/{occurrence_id}/skip", response=OccurrenceOut)
def skip_occurrence(request: HttpRequest, occurrence_id: int, payload: SkipIn) -> Occurrence:
    occurrence = _occurrence(request, occurrence_id)
    services.skip_occurrence(by=request.user, occurrence=occurrence, reason=payload.reason)
    return _occurrence(request, occurrence_id)


@router.post("/occurrences/{occurrence_id}/move", response=OccurrenceOut)
def move_occurrence(request: HttpRequest, occurrence_id: int, payload: MoveIn) -> Occurrence:
    occurrence = _occurrence(request, occurrence_id)
    services.move_occurrence(by=request.user, occurrence=occurrence, due_at=payload.due_at)
    return _occurrence(request, occurrence_id)


# Touchpoints and adherence --------------------------------------------------------------


@router.get("/clients/{client_id}/touchpoints", response=list[TouchpointOut])
@paginate(Pages, page_size=50, max_page_size=500)
def client_touchpoints(request: HttpRequest, client_id: int) -> QuerySet[Touchpoint]:
    client = _client(request, client_id)
    return (
        queries.visible_touchpoints(request.user).filter(client=client).prefetch_related("contacts")
    )


@router.post("/clients/{client_id}/touchpoints", response={201: TouchpointOut})
def log_touchpoint(request: HttpRequest, client_id: int, payload: TouchpointIn) -> Status:
    client = _client(request, client_id)
    touchpoint = services.log_touchpoint(
        by=request.user,
        client=client,
        channel=str(payload.channel),
        at=payload.at,
        summary=payload.summary,
        notes=payload.notes,
        contact_ids=payload.contacts,
        source="api",
    )
    return Status(201, touchpoint)


@router.get("/clients/{client_id}/adherence", response=ClientAdherenceOut)
def client_adherence(request: HttpRequest, client_id: int) -> dict[str, Any]:
    client = _client(request, client_id)
    return {
        "client": client.pk,
        "days_since_last_touch": queries.days_since_last_touch(client),
        "last_30": queries.adherence(client, 30).as_dict(),
        "last_90": queries.adherence(client, 90).as_dict(),
    }


@router.get("/people/{username}/adherence", response=PersonAdherenceOut)
def person_adherence(request: HttpRequest, username: str, days: int = 30) -> dict[str, Any]:
    """A person's planned contacts over `days` days (people of the caller's units)."""
    if not 1 <= days <= 3650:
        raise ValidationError({"days": ["Give a number of days from 1 to 3650."]})
    person = get_object_or_404(
        User.objects.filter(pk__in=[p.pk for p in workload.people(request.user)]),
        username=username,
    )
    return {"person": person.username, "adherence": queries.adherence(person, days).as_dict()}


@router.get("/cadence/untouched", response=list[UntouchedOut])
@paginate(Pages, page_size=50, max_page_size=500)
def untouched(
    request: HttpRequest,
    days: int = 30,
    unit: str | None = None,
    account_manager: str | None = None,
) -> QuerySet[Client]:
    """Clients the caller sees with no touchpoint for `days` days, of a unit (its code)
    or an account manager (username) when given."""
    if not 1 <= days <= 3650:
        raise ValidationError({"days": ["Give a number of days from 1 to 3650."]})
    unit_row = None
    if unit is not None:
        unit_row = BusinessUnit.objects.filter(code=unit).first()
        if unit_row is None:
            raise ValidationError({"unit": [f"No business unit has the code {unit!r}."]})
    manager = _user(account_manager, "account_manager") if account_manager else None
    found = queries.clients_without_touch(
        days, unit=unit_row, account_manager=manager, clients=visible_clients(request.user)
    )
    return found.select_related("business_unit")


# The workload ahead ---------------------------------------------------------------------


@router.get("/cadence/workload", response=list[PersonLoadOut])
def workload_ahead(request: HttpRequest, unit: str | None = None) -> list[workload.PersonLoad]:
    """Per person and day for the next four weeks, against the daily capacity."""
    unit_id = None
    if unit is not None:
        found = BusinessUnit.objects.filter(code=unit).first()
        if found is None:
            raise ValidationError({"unit": [f"No business unit has the code {unit!r}."]})
        unit_id = found.pk
    return workload.workload(request.user, unit_id=unit_id)


@router.get("/cadence/workload/{username}/{day}", response=list[WorkItemOut])
def work_of_the_day(request: HttpRequest, username: str, day: date) -> list[workload.WorkItem]:
    person = next((p for p in workload.people(request.user) if p.username == username), None)
    if person is None:
        raise User.DoesNotExist
    return workload.work_on(person, day)


@router.post("/cadence/workload/reassign", response={204: None})
def reassign(request: HttpRequest, payload: WorkloadReassignIn) -> Status:
    """Hand a task or a planned contact to someone else (team leads)."""
    to = _user(payload.to, "to")
    services.reassign_work(by=request.user, kind=payload.kind, pk=payload.id, to=to)
    return Status(204, None)
