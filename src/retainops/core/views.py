"""Sign-in and sign-out pages, and the page that follows an import job."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from retainops.core import services
from retainops.core.forms import run_and_flash
from retainops.core.imports import import_kinds, visible_jobs
from retainops.core.queries import demo_logins
from retainops.core.saved_filters import MAX_QUERY, clean_query, filter_page, saved_filters_of


class DemoAwareLoginView(LoginView):
    """The login page; lists the demo logins only when the demo data is loaded."""

    template_name = "core/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_logins"] = demo_logins()
        return context


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """An import the worker runs: its progress (the card asks again while it is open),
    then its report. Someone else's job is not found."""
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    kind = next((k for k in import_kinds() if k.kind == job.kind), None)
    template = "core/_import_job.html" if request.htmx else "core/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job, "kind": kind})


# Saved filters ----------------------------------------------------------------------------


@login_required
@require_POST
def saved_filter_save(request: HttpRequest) -> HttpResponse:
    """Keep the list's current filters under a name; back to the list, filtered."""
    page = filter_page(request.POST.get("page", ""))
    if page is None:
        raise Http404("No such list.")
    query = request.POST.get("query", "")
    name = request.POST.get("name", "")
    run_and_flash(
        request,
        lambda: services.save_filter(by=request.user, page=page.key, name=name, query=query),
        f"Saved these filters as “{' '.join(name.split())}”.",
    )
    kept = clean_query(page, query[: MAX_QUERY * 2])  # saved or not, the list as it was
    return redirect(f"{page.url}?{kept}" if kept else page.url)


@login_required
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Someone else's saved filter is not found."""
    saved = get_object_or_404(saved_filters_of(request.user), pk=pk)
    page = filter_page(saved.page)
    services.delete_filter(by=request.user, saved=saved)
    messages.success(request, f"Deleted the saved filter “{saved.name}”.")
    return redirect(page.url if page else "/")
