"""Client pages. Thin: find what the person may see, call a service, render."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from retainops.clients import queries, services
from retainops.clients.choices import ClientStatus
from retainops.clients.forms import (
    ClientFilterForm,
    ClientForm,
    ClientToolForm,
    ContactForm,
    ContractForm,
    ContractLineForm,
    TeamAssignForm,
    contract_line_form_shown_per_contract,
)
from retainops.clients.list_columns import list_columns
from retainops.clients.models import (
    CLIENT_TRANSITIONS,
    CONTRACT_TRANSITIONS,
    Client,
    ClientTool,
    Contact,
    Contract,
    ContractLine,
)
from retainops.clients.panels import panels_for
from retainops.core.access import require_capability, sees_all_units
from retainops.core.capabilities import Capability
from retainops.core.choices import CLIENT_TEAM_ROLES
from retainops.core.errors import errors_by_field
from retainops.core.forms import attempt
from retainops.core.lists import status_links
from retainops.core.models import Role
from retainops.core.pagination import page_or_404


def _visible_client(request: HttpRequest, pk: int, *related: str) -> Client:
    clients = queries.with_mrr(queries.visible_clients(request.user))
    return get_object_or_404(clients.select_related(*related) if related else clients, pk=pk)


def _client_url(client: Client) -> str:
    return reverse("clients:detail", args=[client.pk])


def _form_page(request: HttpRequest, form: Any, title: str, back: str, status: int = 200) -> Any:
    context = {"form": form, "title": title, "back_url": back}
    return render(request, "form.html", context, status=status)


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    filters = queries.ClientFilters(
        search=data.get("q") or "",
        business_unit=data["unit"].pk if data.get("unit") else None,
        status=data.get("status") or "",
        owner=data["owner"].pk if data.get("owner") else None,
        service=data["service"].pk if data.get("service") else None,
        sort=data.get("sort") or "name",
        columns=tuple(
            (column.name, data[column.name]) for column in list_columns() if data.get(column.name)
        ),
    )
    page = page_or_404(queries.filter_clients(request.user, filters), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "status_links": status_links(
            request.GET, ClientStatus.choices, queries.status_counts(request.user, filters)
        ),
        "list_columns": list_columns(),
        "column_filters": [form[c.name] for c in list_columns() if c.filter_choices],
        "has_units": sees_all_units(request.user) or bool(request.user.unit_ids()),  # type: ignore[union-attr]
    }
    template = (
        "clients/_client_list_update.html"
        if getattr(request, "htmx", False)
        else "clients/client_list.html"
    )
    return render(request, template, context)


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _visible_client(request, pk, "business_unit")
    user: Any = request.user
    contracts = client.contracts.prefetch_related(
        Prefetch("lines", ContractLine.objects.select_related("service"))
    )
    transitions = [
        (name, label)
        for name, label in CLIENT_TRANSITIONS.items()
        if any(t.name == name for t in client.get_available_status_transitions())  # type: ignore[attr-defined]
    ]
    # The history section and the timeline panel show the same record history: read once.
    with queries.history_read_once():
        context = {
            "client": client,
            "team": client.team.select_related("role", "user"),
            "contacts": client.contacts.all(),
            "tools": client.tools.select_related("tool"),
            "contracts": [
                (c, [(n, lbl) for n, lbl in CONTRACT_TRANSITIONS.items() if _can(c, n)])
                for c in contracts
            ],
            "history": queries.client_history(client),
            "transitions": transitions,
            "can_edit": user.has_capability(Capability.EDIT_CLIENT),
            "can_change_status": user.has_capability(Capability.CHANGE_CLIENT_STATUS),
            "can_edit_contracts": user.has_capability(Capability.EDIT_CONTRACT),
            "team_form": TeamAssignForm(),
            "tool_form": ClientToolForm(),
            "line_form": contract_line_form_shown_per_contract(),
            "team_roles": Role.objects.filter(code__in=CLIENT_TEAM_ROLES),
            # Programs, change requests, processes and messages: the apps above add them.
            "panels": panels_for(client, user),
        }
        return render(request, "clients/client_detail.html", context)


def _can(contract: Contract, transition_name: str) -> bool:
    available = contract.get_available_status_transitions()  # type: ignore[attr-defined]
    return any(t.name == transition_name for t in available)


@login_required
def client_create(request: HttpRequest) -> HttpResponse:
    require_capability(request.user, Capability.CREATE_CLIENT)
    form = ClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        client = attempt(
            form, lambda: services.create_client(by=request.user, data=form.cleaned_data)
        )
        if client is not None:
            messages.success(request, f"{client} was created.")
            return redirect(_client_url(client))
    status = 400 if form.errors else 200
    return _form_page(request, form, "New client", reverse("clients:list"), status)


@login_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = _visible_client(request, pk)
    require_capability(request.user, Capability.EDIT_CLIENT)
    form = ClientForm(request.POST or None, instance=client, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = form.cleaned_data
        done = attempt(
            form, lambda: services.update_client(client=client, by=request.user, changes=changes)
        )
        if done is not None:
            messages.success(request, "Changes saved.")
            return redirect(_client_url(client))
        client.refresh_from_db()
    status = 400 if form.errors else 200
    return _form_page(request, form, f"Edit {client.name}", _client_url(client), status)


def _flash_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = "" if field == "__all__" else f"{field}: "
        for error in errors:
            messages.error(request, f"{label}{error}")


def _post_action(request: HttpRequest, client: Client, form: Any, operation: Any) -> HttpResponse:
    """Run a small form posted from the client page and go back to it."""
    if form.is_valid() and attempt(form, operation) is not None:
        messages.success(request, "Saved.")
    else:
        _flash_errors(request, form)
    return redirect(_client_url(client))


def _run_and_flash(request: HttpRequest, operation: Any, success: Any) -> None:
    """Run a one-click action; report its refusal as messages on the next page."""
    try:
        operation()
    except ValidationError as error:
        for messages_of_field in errors_by_field(error).values():
            for message in messages_of_field:
                messages.error(request, message)
        return
    messages.success(request, success())


@login_required
@require_POST
def client_transition(request: HttpRequest, pk: int) -> HttpResponse:
    client = _visible_client(request, pk)
    name = request.POST.get("transition", "")
    _run_and_flash(
        request,
        lambda: services.change_client_status(client=client, by=request.user, transition_name=name),
        lambda: f"Status is now {client.get_status_display().lower()}.",
    )
    return redirect(_client_url(client))


@login_required
@require_POST
def team_assign(request: HttpRequest, pk: int) -> HttpResponse:
    client = _visible_client(request, pk)
    form = TeamAssignForm(request.POST)
    return _post_action(
        request,
        client,
        form,
        lambda: (
            services.assign_team_member(
                client=client,
                by=request.user,
                role=form.cleaned_data["role"],
                user=form.cleaned_data["user"],
            )
            or True
        ),
    )


@login_required
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = _visible_client(request, pk)
    require_capability(request.user, Capability.EDIT_CLIENT)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if attempt(form, lambda: services.add_contact(client=client, by=request.user, data=data)):
            messages.success(request, "Contact added.")
            return redirect(_client_url(client))
    status = 400 if form.errors else 200
    return _form_page(request, form, f"New contact at {client.name}", _client_url(client), status)


def _visible_contact(request: HttpRequest, contact_pk: int) -> Contact:
    visible = queries.visible_clients(request.user)
    return get_object_or_404(Contact.objects.filter(client__in=visible), pk=contact_pk)


@login_required
def contact_edit(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = _visible_contact(request, contact_pk)
    require_capability(request.user, Capability.EDIT_CLIENT)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        changes = form.cleaned_data
        saved = attempt(
            form,
            lambda: services.update_contact(contact=contact, by=request.user, changes=changes),
        )
        if saved:
            messages.success(request, "Contact saved.")
            return redirect(_client_url(contact.client))
    status = 400 if form.errors else 200
    return _form_page(request, form, f"Edit {contact.name}", _client_url(contact.client), status)


@login_required
@require_POST
def contact_remove(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = _visible_contact(request, contact_pk)
    client = contact.client
    services.remove_contact(contact=contact, by=request.user)
    messages.success(request, f"{contact.name} was removed.")
    return redirect(_client_url(client))


@login_required
@require_POST
def tool_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = _visible_client(request, pk)
    form = ClientToolForm(request.POST)
    return _post_action(
        request,
        client,
        form,
        lambda: services.add_client_tool(
            client=client,
            by=request.user,
            tool=form.cleaned_data["tool"],
            reference=form.cleaned_data["reference"],
        ),
    )


@login_required
@require_POST
def tool_remove(request: HttpRequest, entry_pk: int) -> HttpResponse:
    visible = queries.visible_clients(request.user)
    entry = get_object_or_404(ClientTool.objects.filter(client__in=visible), pk=entry_pk)
    client = entry.client
    services.remove_client_tool(entry=entry, by=request.user)
    messages.success(request, f"Removed from {entry.tool}.")
    return redirect(_client_url(client))


@login_required
def contract_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = _visible_client(request, pk)
    require_capability(request.user, Capability.EDIT_CONTRACT)
    form = ContractForm(request.POST or None, with_lines=True)
    if request.method == "POST" and form.is_valid():
        created = attempt(
            form,
            lambda: services.create_contract(
                client=client,
                by=request.user,
                data=form.terms(),
                lines=form.lines(),
                activate=form.cleaned_data["activate"],
            ),
        )
        if created is not None:
            messages.success(request, f"Contract {created.reference} was created.")
            return redirect(_client_url(client))
    status = 400 if form.errors else 200
    return _form_page(request, form, f"New contract for {client.name}", _client_url(client), status)


def _visible_contract(request: HttpRequest, contract_pk: int) -> Contract:
    visible = queries.visible_clients(request.user)
    return get_object_or_404(Contract.objects.filter(client__in=visible), pk=contract_pk)


@login_required
def contract_edit(request: HttpRequest, contract_pk: int) -> HttpResponse:
    contract = _visible_contract(request, contract_pk)
    require_capability(request.user, Capability.EDIT_CONTRACT)
    form = ContractForm(request.POST or None, instance=contract, with_lines=False)
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: services.update_contract(
                contract=contract, by=request.user, changes=form.terms()
            ),
        )
        if saved is not None:
            messages.success(request, "Contract saved.")
            return redirect(_client_url(contract.client))
    status = 400 if form.errors else 200
    title = f"Edit contract {contract.reference}"
    return _form_page(request, form, title, _client_url(contract.client), status)


@login_required
@require_POST
def contract_line_set(request: HttpRequest, contract_pk: int) -> HttpResponse:
    contract = _visible_contract(request, contract_pk)
    form = ContractLineForm(request.POST)
    return _post_action(
        request,
        contract.client,
        form,
        lambda: services.set_contract_line(
            contract=contract,
            by=request.user,
            service=form.cleaned_data["service"],
            monthly_budget=form.cleaned_data["monthly_budget"],
        ),
    )


@login_required
@require_POST
def contract_line_remove(request: HttpRequest, contract_pk: int, line_pk: int) -> HttpResponse:
    contract = _visible_contract(request, contract_pk)
    line = get_object_or_404(contract.lines, pk=line_pk)
    services.remove_contract_line(line=line, by=request.user)
    messages.success(request, f"{line.service} was removed from {contract.reference}.")
    return redirect(_client_url(contract.client))


@login_required
@require_POST
def contract_transition(request: HttpRequest, contract_pk: int) -> HttpResponse:
    contract = _visible_contract(request, contract_pk)
    name = request.POST.get("transition", "")
    _run_and_flash(
        request,
        lambda: services.change_contract_status(
            contract=contract, by=request.user, transition_name=name
        ),
        lambda: f"Contract is now {contract.get_status_display().lower()}.",
    )
    return redirect(_client_url(contract.client))
