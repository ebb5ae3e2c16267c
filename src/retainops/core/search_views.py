"""The search page behind the header's box."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from retainops.core.errors import errors_by_field
from retainops.core.search import MAX_LENGTH, search


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Hits grouped by kind; no words yet shows the box alone, bad words say why."""
    raw = request.GET.get("q", "")
    context: dict[str, object] = {"q": raw[:MAX_LENGTH], "groups": [], "error": ""}
    if raw.strip():
        try:
            context["groups"] = search(request.user, raw)
        except ValidationError as refused:
            context["error"] = errors_by_field(refused)["q"][0]
    status = 400 if context["error"] else 200
    return render(request, "core/search.html", context, status=status)
