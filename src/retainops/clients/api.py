"""API for clients, their team, contacts, tools and contracts, and the catalogues.

Thin: each endpoint resolves what it names (scoped to the caller), then calls
the same service as the pages. Bodies are `BodySchema`s (in schemas.py): a bad
body is answered once, naming every bad field (its schema's, unknown codes, the
model's) with paths such as `lines[0].service`, and nothing is written.
"""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from retainops.clients import queries, services
from retainops.clients.models import (
    Client,
    ClientTool,
    Contact,
    Contract,
    ServiceLine,
    Tool,
)
from retainops.clients.schemas import (
    BudgetIn,
    ClientIn,
    ClientOut,
    ClientPatch,
    ClientQuery,
    ClientSummaryOut,
    ClientToolIn,
    ClientToolOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    ContractIn,
    ContractOut,
    ContractPatch,
    HistoryOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    TeamAssignIn,
    ToolIn,
    ToolOut,
    ToolPatch,
    TransitionIn,
)
from retainops.core.errors import Problems
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.pagination import Pages
from retainops.core.schemas import NULL_REFUSED, BodySchema, Id

router = Router(tags=["clients"])


# Lookups ---------------------------------------------------------------------------------


def _client(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(queries.with_mrr(queries.visible_clients(request.user)), pk=client_id)


def _by_code(model: Any, code: str | None, field: str, problems: Problems) -> Any:
    """The row with that code, or None with the field named among the problems."""
    if code is None:
        problems.add(field, "Give a value or leave the field out.")
        return None
    found = model.objects.filter(code=code).first()
    if found is None:
        problems.add(field, f"No {model._meta.verbose_name} has the code {code!r}.")
    return found


# The client's fields that may be emptied with a null; the others take "" or a value.
NULLABLE_CLIENT_FIELDS = {"sold_on"}


def _client_data(payload: BodySchema, problems: Problems) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    for name in sorted(name for name, value in data.items() if value is None):
        if name not in NULLABLE_CLIENT_FIELDS:
            problems.add(name, NULL_REFUSED)
            del data[name]
    if "business_unit" in data:
        unit = _by_code(BusinessUnit, data.pop("business_unit"), "business_unit", problems)
        if unit is not None:
            data["business_unit"] = unit
    return data


# Clients --------------------------------------------------------------------------------


@router.get("/clients", response=list[ClientSummaryOut])
@paginate(Pages, page_size=50, max_page_size=500)
def list_clients(request: HttpRequest, filters: Query[ClientQuery]) -> Any:
    unit = BusinessUnit.objects.filter(code=filters.business_unit).first()
    owner = User.objects.filter(username=filters.owner).first()
    service = ServiceLine.objects.filter(code=filters.service).first()
    problems = Problems()
    for value, found, name in (
        (filters.business_unit, unit, "business_unit"),
        (filters.owner, owner, "owner"),
        (filters.service, service, "service"),
    ):
        if value and found is None:
            problems.add(name, f"Nothing matches {value!r}.")
    problems.raise_if_any()
    return queries.filter_clients(
        request.user,
        queries.ClientFilters(
            search=filters.search,
            business_unit=unit.pk if unit else None,
            status=filters.status or "",
            owner=owner.pk if owner else None,
            service=service.pk if service else None,
            sort=filters.sort,
        ),
    )


@router.post("/clients", response={201: ClientOut})
def create_client(request: HttpRequest, payload: ClientIn) -> Any:
    problems = Problems(payload.problems())
    data = _client_data(payload, problems)
    client = services.create_client(by=request.user, data=data, problems=problems)
    return Status(201, _client(request, client.pk))


@router.get("/clients/{client_id}", response=ClientOut)
def get_client(request: HttpRequest, client_id: int) -> Any:
    return _client(request, client_id)


@router.patch("/clients/{client_id}", response=ClientOut)
def update_client(request: HttpRequest, client_id: int, payload: ClientPatch) -> Any:
    client = _client(request, client_id)
    problems = Problems(payload.problems())
    changes = _client_data(payload, problems)
    services.update_client(client=client, by=request.user, changes=changes, problems=problems)
    return _client(request, client_id)


@router.delete("/clients/{client_id}", response={204: None})
def delete_client(request: HttpRequest, client_id: int) -> Any:
    services.delete_client(client=_client(request, client_id), by=request.user)
    return Status(204, None)


@router.post("/clients/{client_id}/transitions", response=ClientOut)
def transition_client(request: HttpRequest, client_id: int, payload: TransitionIn) -> Any:
    client = _client(request, client_id)
    services.change_client_status(
        client=client, by=request.user, transition_name=payload.transition
    )
    return _client(request, client_id)


@router.get("/clients/{client_id}/history", response=list[HistoryOut])
def client_history(request: HttpRequest, client_id: int) -> Any:
    return queries.client_history(_client(request, client_id))


@router.put("/clients/{client_id}/team/{role_code}", response=ClientOut)
def assign_team_member(
    request: HttpRequest, client_id: int, role_code: str, payload: TeamAssignIn
) -> Any:
    client = _client(request, client_id)
    problems = Problems(payload.problems())
    role = _by_code(Role, role_code, "role", problems)
    username = payload.dict(exclude_unset=True).get("username")
    user = None
    if username:
        user = User.objects.filter(username=username).first()
        if user is None:
            problems.add("username", f"No user is called {username!r}.")
    problems.raise_if_any()
    services.assign_team_member(client=client, by=request.user, role=role, user=user)
    return _client(request, client_id)


# Contacts -------------------------------------------------------------------------------


@router.get("/clients/{client_id}/contacts", response=list[ContactOut])
def list_contacts(request: HttpRequest, client_id: int) -> Any:
    return _client(request, client_id).contacts.all()


@router.post("/clients/{client_id}/contacts", response={201: ContactOut})
def add_contact(request: HttpRequest, client_id: int, payload: ContactIn) -> Any:
    client = _client(request, client_id)
    contact = services.add_contact(
        client=client,
        by=request.user,
        data=payload.dict(exclude_unset=True),
        problems=Problems(payload.problems()),
    )
    return Status(201, contact)


def _contact(request: HttpRequest, contact_id: int) -> Contact:
    visible = queries.visible_clients(request.user)
    return get_object_or_404(Contact.objects.filter(client__in=visible), pk=contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    contact = _contact(request, contact_id)
    return services.update_contact(
        contact=contact,
        by=request.user,
        changes=payload.dict(exclude_unset=True),
        problems=Problems(payload.problems()),
    )


@router.delete("/contacts/{contact_id}", response={204: None})
def remove_contact(request: HttpRequest, contact_id: int) -> Any:
    services.remove_contact(contact=_contact(request, contact_id), by=request.user)
    return Status(204, None)


# Tools a client is set up in --------------------------------------------------------------


@router.get("/clients/{client_id}/tools", response=list[ClientToolOut])
def list_client_tools(request: HttpRequest, client_id: int) -> Any:
    return _client(request, client_id).tools.select_related("tool")


@router.post("/clients/{client_id}/tools", response={201: ClientToolOut})
def add_client_tool(request: HttpRequest, client_id: int, payload: ClientToolIn) -> Any:
    client = _client(request, client_id)
    problems = Problems(payload.problems())
    if "tool" in problems.named():
        problems.raise_if_any()
    tool = _by_code(Tool, payload.tool, "tool", problems)
    problems.raise_if_any()
    reference = payload.dict(exclude_unset=True).get("reference", "")
    entry = services.add_client_tool(client=client, by=request.user, tool=tool, reference=reference)
    return Status(201, entry)


@router.delete("/client-tools/{entry_id}", response={204: None})
def remove_client_tool(request: HttpRequest, entry_id: int) -> Any:
    visible = queries.visible_clients(request.user)
    entry = get_object_or_404(ClientTool.objects.filter(client__in=visible), pk=entry_id)
    services.remove_client_tool(entry=entry, by=request.user)
    return Status(204, None)


# Contracts ------------------------------------------------------------------------------


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    visible = queries.visible_clients(request.user)
    contracts = Contract.objects.filter(client__in=visible).prefetch_related("lines__service")
    return get_object_or_404(contracts, pk=contract_id)


@router.get("/contracts", response=list[ContractOut])
@paginate(Pages, page_size=50, max_page_size=500)
def list_contracts(request: HttpRequest, client: Id | None = None, status: str = "") -> Any:
    visible = queries.visible_clients(request.user)
    contracts = Contract.objects.filter(client__in=visible).prefetch_related("lines__service")
    if client is not None:
        contracts = contracts.filter(client_id=client)
    if status:
        contracts = contracts.filter(status=status)
    return contracts.order_by("-start_date", "id")


@router.post("/contracts", response={201: ContractOut})
def create_contract(request: HttpRequest, payload: ContractIn) -> Any:
    problems = Problems(payload.problems())
    sent = payload.dict(exclude_unset=True, exclude={"lines"})
    lines = []
    for index, line in enumerate(payload.dict().get("lines", [])):
        service_field = f"lines[{index}].service"
        lines.append(
            {
                "service": _by_code(ServiceLine, line["service"], service_field, problems)
                if "service" in line
                else None,
                "monthly_budget": line.get("monthly_budget"),
            }
        )
    if "client" not in sent:
        problems.raise_if_any()  # named already: the client id was missing or not a number
    client = _client(request, sent.pop("client"))
    activate = sent.pop("activate", True)
    contract = services.create_contract(
        client=client, by=request.user, data=sent, lines=lines, activate=activate, problems=problems
    )
    return Status(201, _contract(request, contract.pk))


@router.get("/contracts/{contract_id}", response=ContractOut)
def get_contract(request: HttpRequest, contract_id: int) -> Any:
    return _contract(request, contract_id)


@router.patch("/contracts/{contract_id}", response=ContractOut)
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch) -> Any:
    contract = _contract(request, contract_id)
    services.update_contract(
        contract=contract,
        by=request.user,
        changes=payload.dict(exclude_unset=True),
        problems=Problems(payload.problems()),
    )
    return _contract(request, contract_id)


@router.post("/contracts/{contract_id}/transitions", response=ContractOut)
def transition_contract(request: HttpRequest, contract_id: int, payload: TransitionIn) -> Any:
    contract = _contract(request, contract_id)
    services.change_contract_status(
        contract=contract, by=request.user, transition_name=payload.transition
    )
    return _contract(request, contract_id)


@router.put("/contracts/{contract_id}/lines/{service_code}", response=ContractOut)
def set_contract_line(
    request: HttpRequest, contract_id: int, service_code: str, payload: BudgetIn
) -> Any:
    contract = _contract(request, contract_id)
    problems = Problems(payload.problems())
    service = _by_code(ServiceLine, service_code, "service", problems)
    problems.raise_if_any()
    services.set_contract_line(
        contract=contract, by=request.user, service=service, monthly_budget=payload.monthly_budget
    )
    return _contract(request, contract_id)


@router.delete("/contracts/{contract_id}/lines/{service_code}", response=ContractOut)
def remove_contract_line(request: HttpRequest, contract_id: int, service_code: str) -> Any:
    contract = _contract(request, contract_id)
    line = get_object_or_404(contract.lines, service__code=service_code)
    services.remove_contract_line(line=line, by=request.user)
    return _contract(request, contract_id)


# Catalogues -----------------------------------------------------------------------------


@router.get("/services", response=list[ServiceOut], tags=["catalogue"])
def list_services(request: HttpRequest, include_inactive: bool = False) -> Any:
    found = ServiceLine.objects.all()
    return found if include_inactive else found.filter(is_active=True)


@router.post("/services", response={201: ServiceOut}, tags=["catalogue"])
def create_service(request: HttpRequest, payload: ServiceIn) -> Any:
    problems = Problems(payload.problems())
    data = payload.dict(exclude_unset=True)
    created = services.save_service_line(
        by=request.user, service=None, data=data, problems=problems
    )
    return Status(201, created)


@router.patch("/services/{service_id}", response=ServiceOut, tags=["catalogue"])
def update_service(request: HttpRequest, service_id: int, payload: ServicePatch) -> Any:
    service = get_object_or_404(ServiceLine, pk=service_id)
    return services.save_service_line(
        by=request.user,
        service=service,
        data=payload.dict(exclude_unset=True),
        problems=Problems(payload.problems()),
    )


@router.post("/services/{service_id}/retire", response=ServiceOut, tags=["catalogue"])
def retire_service(request: HttpRequest, service_id: int) -> Any:
    """Stop offering a service, as its page does by clearing "Active": contract lines that
    use it stay, no new line may name it, and it leaves the list unless asked for."""
    service = get_object_or_404(ServiceLine, pk=service_id)
    return services.retire_service_line(by=request.user, service=service)


@router.get("/tools", response=list[ToolOut], tags=["catalogue"])
def list_tools(request: HttpRequest) -> Any:
    return Tool.objects.all()


@router.post("/tools", response={201: ToolOut}, tags=["catalogue"])
def create_tool(request: HttpRequest, payload: ToolIn) -> Any:
    problems = Problems(payload.problems())
    data = payload.dict(exclude_unset=True)
    return Status(201, services.save_tool(by=request.user, tool=None, data=data, problems=problems))


@router.patch("/tools/{tool_id}", response=ToolOut, tags=["catalogue"])
def update_tool(request: HttpRequest, tool_id: int, payload: ToolPatch) -> Any:
    tool = get_object_or_404(Tool, pk=tool_id)
    return services.save_tool(
        by=request.user,
        tool=tool,
        data=payload.dict(exclude_unset=True),
        problems=Problems(payload.problems()),
    )


@router.post("/tools/{tool_id}/retire", response=ToolOut, tags=["catalogue"])
def retire_tool(request: HttpRequest, tool_id: int) -> Any:
    """Mark a tool or board no longer used, as its page does by clearing "Active"; the
    clients already set up in it keep their entry (and offboarding still removes them)."""
    tool = get_object_or_404(Tool, pk=tool_id)
    return services.retire_tool(by=request.user, tool=tool)
