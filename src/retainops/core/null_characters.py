"""Requests carrying the NUL character (U+0000) are refused before any view runs.

PostgreSQL's text and jsonb columns cannot hold U+0000 while SQLite's can, so such a
value would pass every check and then fail as a server error on one database only,
midway through whatever the view was writing. Django's form fields already refuse it;
the API's schemas, query strings and path segments do not. One check at the door covers
all of them: the path, every query-string and form key and value, and every key and
string of a JSON body. The answer names where the character was: a 422 in the API's
error shape under /api/, a 400 page elsewhere.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL = "\x00"
MESSAGE = "The NUL character (U+0000) is not allowed."


def places_holding_nul(request: HttpRequest) -> list[str]:
    """Where the request carries a NUL: "path", a parameter's name, or a JSON field path."""
    places = ["path"] if NUL in request.path else []
    places += [key or "query" for key in _keys_with_nul(request.GET.lists())]
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if content_type == "application/json":
            places += _json_places(request)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            places += [key or "body" for key in _keys_with_nul(request.POST.lists())]
    return places


def _keys_with_nul(items: Iterator[tuple[str, list[str]]] | Any) -> Iterator[str]:
    for key, values in items:
        if NUL in key or any(NUL in value for value in values):
            yield key.replace(NUL, "")


def _json_places(request: HttpRequest) -> list[str]:
    try:
        document = json.loads(request.body)
    except (ValueError, RequestDataTooBig):
        return []  # not JSON, or too big: the operation's own answer (400) says so
    return list(_json_nul_paths(document, ""))


def _json_nul_paths(node: Any, where: str) -> Iterator[str]:
    if isinstance(node, str):
        if NUL in node:
            yield where or "body"
    elif isinstance(node, dict):
        for key, value in node.items():
            inner = f"{where}.{key.replace(NUL, '')}" if where else key.replace(NUL, "")
            if NUL in key:
                yield inner or "body"
            else:
                yield from _json_nul_paths(value, inner)
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from _json_nul_paths(value, f"{where}.{position}" if where else str(position))


class RefuseNulCharacters:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        places = places_holding_nul(request)
        if not places:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            errors = {place: [MESSAGE] for place in places}
            return JsonResponse({"detail": "Invalid input.", "errors": errors}, status=422)
        return HttpResponseBadRequest(
            f"{MESSAGE} Found in: {', '.join(places)}.", content_type="text/plain; charset=utf-8"
        )
