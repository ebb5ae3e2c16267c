"""`{% saved_filters "clients" %}` on a list page: the person's saved filters of that page
as links, each with its delete button, and a form that saves the filters now applied."""

from typing import Any

from django import template

from retainops.core.saved_filters import clean_query, filter_page, saved_filters_of

register = template.Library()


@register.inclusion_tag("_saved_filters.html", takes_context=True)
def saved_filters(context: Any, key: str, oob: bool = False) -> dict[str, Any]:
    request = context["request"]
    page = filter_page(key)
    if page is None or not request.user.is_authenticated:
        return {"page": None}
    return {
        "page": page,
        "saved": saved_filters_of(request.user).filter(page=key),
        "current": clean_query(page, request.GET.urlencode()),
        "csrf_token": context.get("csrf_token"),
        "oob": oob,  # swapped in beside a list htmx updated, so the form saves what is shown
    }
