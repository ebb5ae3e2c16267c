"""Administration pages of the catalogue: service lines, and tools and boards.

They sit under /administration/ beside core's pages and follow the same
pattern (``core.admin_views``): capability checked up front, a form that only
parses, the catalogue service that decides, its errors back on the form.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from retainops.clients import admin_forms as f
from retainops.clients.models import ServiceLine, Tool
from retainops.clients.services import save_service_line, save_tool
from retainops.core.admin_views import bound, form_page, requires
from retainops.core.capabilities import Capability

# Service catalogue --------------------------------------------------------------------


@requires(Capability.MANAGE_CATALOGUE)
def service_list(request: HttpRequest) -> HttpResponse:
    return render(request, "clients/admin/services.html", {"services": ServiceLine.objects.all()})


@requires(Capability.MANAGE_CATALOGUE)
def service_create(request: HttpRequest) -> HttpResponse:
    form = f.ServiceLineForm(**bound(request))
    return form_page(
        request,
        form,
        lambda data: save_service_line(by=request.user, service=None, data=data),
        title="New service",
        back="clients:services",
        done="Service {} added.",
    )


@requires(Capability.MANAGE_CATALOGUE)
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(ServiceLine, pk=pk)
    initial = {n: getattr(service, n) for n in ("code", "name", "description", "is_active")}
    form = f.ServiceLineForm(initial=initial, **bound(request))
    return form_page(
        request,
        form,
        lambda data: save_service_line(by=request.user, service=service, data=data),
        title=f"Edit service {service.name}",
        back="clients:services",
        done="Service {} saved.",
    )


# Tools and boards ---------------------------------------------------------------------

TOOL_FIELDS = ("code", "name", "kind", "platform_exit_only", "is_active")


@requires(Capability.MANAGE_CATALOGUE)
def tool_list(request: HttpRequest) -> HttpResponse:
    return render(request, "clients/admin/tools.html", {"tools": Tool.objects.all()})


@requires(Capability.MANAGE_CATALOGUE)
def tool_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        f.ToolForm(**bound(request)),
        lambda data: save_tool(by=request.user, tool=None, data=data),
        title="New tool or board",
        back="clients:tools",
        done="{} added.",
    )


@requires(Capability.MANAGE_CATALOGUE)
def tool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tool = get_object_or_404(Tool, pk=pk)
    form = f.ToolForm(initial={n: getattr(tool, n) for n in TOOL_FIELDS}, **bound(request))
    return form_page(
        request,
        form,
        lambda data: save_tool(by=request.user, tool=tool, data=data),
        title=f"Edit {tool.name}",
        back="clients:tools",
        done="{} saved.",
    )
