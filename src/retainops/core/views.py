"""Sign-in and sign-out pages, and the page that follows an import job."""

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from retainops.core.imports import import_kinds, visible_jobs
from retainops.core.queries import demo_logins


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
