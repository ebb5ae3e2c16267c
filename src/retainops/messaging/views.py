"""Messaging pages: the outbox, writing to a client, and what feeds the outbox
(templates, distribution lists, chat webhooks).

Thin, like the other pages: find what the person may see, check the
capability up front (so a refused person never sees a form), parse with a
form, call the service that owns the rule, render. A service's
ValidationError lands on the form and the page is shown again with status 400.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability, require_unit_access
from retainops.core.admin_views import requires
from retainops.core.capabilities import Capability
from retainops.core.errors import errors_by_field
from retainops.core.forms import attempt
from retainops.core.pagination import page_or_404
from retainops.messaging import queries, services
from retainops.messaging.choices import MessageState
from retainops.messaging.forms import (
    ComposeForm,
    DistributionListForm,
    MemberForm,
    OutboxFilterForm,
    TemplateForm,
    WebhookForm,
)
from retainops.messaging.models import (
    DistributionList,
    DistributionListMember,
    MessageTemplate,
    WebhookEndpoint,
)
from retainops.messaging.templating import VARIABLES, Schema

manager_only = requires(Capability.MANAGE_MESSAGES)


def _bound(request: HttpRequest) -> dict[str, Any]:
    """Form arguments: the POST data when one was sent, else nothing (an unbound form)."""
    return {"data": request.POST} if request.method == "POST" else {}


def _status(form: forms.Form) -> int:
    return 400 if form.errors else 200


def _save_page(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[], Any],
    *,
    title: str,
    back_url: str,
    done: str,
    next_url: Callable[[Any], str],
) -> HttpResponse:
    """Show a form; on a valid POST save through the service and go on to `next_url`."""
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, save)
        if saved is not None:
            messages.success(request, done.format(saved))
            return redirect(next_url(saved))
    context = {"form": form, "title": title, "back_url": back_url, "submit_label": "Save"}
    return render(request, "form.html", context, status=_status(form))


# The outbox -----------------------------------------------------------------------------


@manager_only
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    filters = form.filters()
    found = queries.filter_messages(request.user, filters)
    page = page_or_404(found, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "filters": filters, "page": page, "query": query.urlencode()}
    return render(request, "messaging/outbox.html", context)


@manager_only
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(queries.visible_messages(request.user), pk=pk)
    attachments = message.attachments.defer("content").annotate(size=Length("content"))
    context = {
        "message": message,
        "attachments": attachments,
        "can_retry": message.state == MessageState.FAILED,
    }
    return render(request, "messaging/message_detail.html", context)


@manager_only
@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(queries.visible_messages(request.user), pk=pk)
    try:
        services.retry_message(message=message, by=request.user)
    except ValidationError as error:
        for problems in errors_by_field(error).values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, "Queued again: it goes out within seconds.")
    return redirect("messaging:detail", pk=message.pk)


# Writing to a client --------------------------------------------------------------------


@login_required
def write(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Compose an e-mail to a client; it is queued, and the worker sends it."""
    client = get_object_or_404(visible_clients(request.user), pk=client_pk)
    require_capability(request.user, Capability.EDIT_CLIENT)
    require_unit_access(request.user, client.business_unit_id)
    form = ComposeForm(request.POST or None, client=client)
    back_url = reverse("clients:detail", args=[client.pk])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        queued = attempt(
            form,
            lambda: services.write_to_client(
                client=client,
                by=request.user,
                to=form.recipient_specs(),
                subject=data["subject"],
                body=data["body"],
            ),
        )
        if queued is not None:
            messages.success(request, "Queued: it goes out within seconds.")
            return redirect(back_url)
    context = {
        "form": form,
        "title": f"Write to {client.name}",
        "back_url": back_url,
        "back_label": client.name,
        "submit_label": "Queue the e-mail",
    }
    return render(request, "form.html", context, status=_status(form))


# Templates ------------------------------------------------------------------------------


def _variable_paths(schema: Schema, prefix: str) -> list[str]:
    """Every variable a template may use, spelled as it is written in a template."""
    if isinstance(schema, dict):
        return [
            p for name, inner in schema.items() for p in _variable_paths(inner, f"{prefix}.{name}")
        ]
    if isinstance(schema, list):
        return [prefix, *_variable_paths(schema[0], f"{prefix}.0")]
    return [prefix]


def template_variables() -> list[str]:
    return [p for root, schema in VARIABLES.items() for p in _variable_paths(schema, root)]


@manager_only
def template_list(request: HttpRequest) -> HttpResponse:
    templates = MessageTemplate.objects.all()
    return render(request, "messaging/templates.html", {"templates": templates})


@manager_only
def template_create(request: HttpRequest) -> HttpResponse:
    return _template_page(request, None)


@manager_only
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _template_page(request, get_object_or_404(MessageTemplate, pk=pk))


def _template_page(request: HttpRequest, template: MessageTemplate | None) -> HttpResponse:
    """Create or edit a template; "Preview" renders what was typed without saving it."""
    initial = {n: getattr(template, n) for n in TemplateForm.FIELDS} if template else {}
    form = TemplateForm(initial=initial, user=request.user, **_bound(request))
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            preview = _preview(request, form)
        else:
            saved = attempt(
                form,
                lambda: services.save_template(
                    by=request.user, template=template, data=form.template_data()
                ),
            )
            if saved is not None:
                messages.success(request, f"Template {saved} saved.")
                return redirect("messaging:templates")
    context = {
        "form": form,
        "title": f"Edit template {template.name}" if template else "New template",
        "preview": preview,
        "preview_client": form.cleaned_data.get("preview_client") if preview else None,
        "variables": template_variables(),
    }
    return render(request, "messaging/template_form.html", context, status=_status(form))


def _preview(request: HttpRequest, form: TemplateForm) -> dict[str, str] | None:
    client = form.cleaned_data["preview_client"]
    return attempt(
        form,
        lambda: services.preview_draft(by=request.user, data=form.template_data(), client=client),
    )


# Distribution lists ---------------------------------------------------------------------


def _list_url(distribution_list: DistributionList) -> str:
    return reverse("messaging:list_detail", args=[distribution_list.pk])


@manager_only
def list_index(request: HttpRequest) -> HttpResponse:
    lists = DistributionList.objects.annotate(member_count=Count("members"))
    return render(request, "messaging/lists.html", {"lists": lists})


@manager_only
def list_create(request: HttpRequest) -> HttpResponse:
    form = DistributionListForm(**_bound(request))
    return _save_page(
        request,
        form,
        lambda: services.save_distribution_list(
            by=request.user, distribution_list=None, data=form.cleaned_data
        ),
        title="New distribution list",
        back_url=reverse("messaging:lists"),
        done="Distribution list {} added: now add its members.",
        next_url=_list_url,
    )


@manager_only
def list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    distribution_list = get_object_or_404(DistributionList, pk=pk)
    initial = {n: getattr(distribution_list, n) for n in ("code", "name", "description")}
    form = DistributionListForm(initial=initial, **_bound(request))
    return _save_page(
        request,
        form,
        lambda: services.save_distribution_list(
            by=request.user, distribution_list=distribution_list, data=form.cleaned_data
        ),
        title=f"Edit distribution list {distribution_list.name}",
        back_url=_list_url(distribution_list),
        done="Distribution list {} saved.",
        next_url=_list_url,
    )


def _list_page(
    request: HttpRequest, distribution_list: DistributionList, form: MemberForm, status: int = 200
) -> HttpResponse:
    members = distribution_list.members.select_related("user", "contact__client", "role")
    context = {"list": distribution_list, "members": members, "form": form}
    return render(request, "messaging/list_detail.html", context, status=status)


@manager_only
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    distribution_list = get_object_or_404(DistributionList, pk=pk)
    return _list_page(request, distribution_list, MemberForm(user=request.user))


@manager_only
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    distribution_list = get_object_or_404(DistributionList, pk=pk)
    form = MemberForm(request.POST, user=request.user)
    if form.is_valid():
        member = attempt(
            form,
            lambda: services.add_list_member(
                by=request.user,
                distribution_list=distribution_list,
                kind=form.cleaned_data["kind"],
                target=form.target(),
            ),
        )
        if member is not None:
            messages.success(request, f"{member} added.")
            return redirect(_list_url(distribution_list))
    return _list_page(request, distribution_list, form, status=400)


@manager_only
@require_POST
def member_remove(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = get_object_or_404(DistributionListMember, pk=member_pk)
    distribution_list, label = member.distribution_list, str(member)
    services.remove_list_member(by=request.user, member=member)
    messages.success(request, f"{label} removed.")
    return redirect(_list_url(distribution_list))


# Chat webhooks --------------------------------------------------------------------------


@manager_only
def webhook_list(request: HttpRequest) -> HttpResponse:
    webhooks = WebhookEndpoint.objects.all()
    return render(request, "messaging/webhooks.html", {"webhooks": webhooks})


@manager_only
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(**_bound(request))
    return _save_page(
        request,
        form,
        lambda: services.save_webhook(by=request.user, webhook=None, data=form.changes()),
        title="New chat webhook",
        back_url=reverse("messaging:webhooks"),
        done="Chat webhook {} added.",
        next_url=lambda _saved: reverse("messaging:webhooks"),
    )


@manager_only
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {n: getattr(webhook, n) for n in ("code", "name", "url", "is_active")}
    form = WebhookForm(initial=initial, secret_set=bool(webhook.secret), **_bound(request))
    return _save_page(
        request,
        form,
        lambda: services.save_webhook(by=request.user, webhook=webhook, data=form.changes()),
        title=f"Edit chat webhook {webhook.name}",
        back_url=reverse("messaging:webhooks"),
        done="Chat webhook {} saved.",
        next_url=lambda _saved: reverse("messaging:webhooks"),
    )
