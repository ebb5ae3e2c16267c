"""The REST API under /api/v1/: authentication, error shape, and the app routers.

Programs authenticate with `Authorization: Bearer <token>` from
POST /api/v1/auth/token; pages' own scripts use the session (with CSRF).
Every error is JSON: validation failures name each bad field.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import HttpBearer, django_auth

from retainops.core.errors import errors_by_field
from retainops.core.models import ApiToken


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = ApiToken.user_for(token)
        if user is not None:
            # The audit history reads the acting person from request.user.
            request.user = user
        return user


# Every operation may answer these, whatever it declares itself: the handlers below give
# each the same body, so the document says so once for all (and a test holds it true).
ERROR_SCHEMA = {
    "title": "ErrorOut",
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
INVALID_SCHEMA = {
    "title": "InvalidOut",
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "errors"],
}
STANDARD_ERRORS = {
    "401": ("Authentication required: no valid bearer token or session.", "ErrorOut"),
    "403": ("The person may not do this.", "ErrorOut"),
    "404": ("No such object, or not one the person may see.", "ErrorOut"),
    "422": ("Invalid input: each bad field named with its messages.", "InvalidOut"),
}


class RetainOpsApi(NinjaAPI):
    """The API, whose OpenAPI document also declares the error answers every operation gives."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(**kwargs)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorOut"], schemas["InvalidOut"] = ERROR_SCHEMA, INVALID_SCHEMA
        for operations in document["paths"].values():
            for operation in operations.values():
                _declare_standard_errors(operation)
        _times_without_offset(document)
        return document


def _times_without_offset(node: Any) -> None:
    """Our times of day are local wall-clock times ("09:00:00"), while OpenAPI's "time"
    format is RFC 3339's, which needs an offset: declare them as the pattern they are."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            node.pop("format")
            node["pattern"] = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"
        for value in node.values():
            _times_without_offset(value)
    elif isinstance(node, list):
        for value in node:
            _times_without_offset(value)


def _declare_standard_errors(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if "requestBody" in operation and "400" not in responses:
        responses["400"] = {
            "description": "The body is not JSON (or not the form data) the operation reads.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
    for code, (description, schema) in STANDARD_ERRORS.items():
        if code == "401" and not operation.get("security"):
            continue
        reference = {"$ref": f"#/components/schemas/{schema}"}
        declared = responses.get(code)
        if declared is None:
            responses[code] = {
                "description": description,
                "content": {"application/json": {"schema": reference}},
            }
            continue
        # An operation's own 422 body (an import report, a playbook's problems) is one of
        # two shapes: a request that fails the schema gets the standard one.
        content = declared.setdefault("content", {}).setdefault("application/json", {})
        own = content.get("schema")
        if own is not None and own != reference:
            content["schema"] = {"anyOf": [own, reference]}


api = RetainOpsApi(
    title="RetainOps API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
)


def _field_name(loc: list[Any]) -> str:
    # Drop the parameter source ("body", "query", "path") and the schema name.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts) or "__all__"


@api.exception_handler(SchemaValidationError)
def on_schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        errors.setdefault(_field_name(list(item.get("loc", []))), []).append(str(item["msg"]))
    return api.create_response(request, {"detail": "Invalid input.", "errors": errors}, status=422)


@api.exception_handler(ValidationError)
def on_domain_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Invalid input.", "errors": errors_by_field(exc)}, status=422
    )


@api.exception_handler(PermissionDenied)
def on_refused(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(ObjectDoesNotExist)
def on_missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(Http404)
def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Authentication required: send a bearer token."}, status=401
    )


def _register_routers() -> None:
    from retainops.audience.api import analytics as bgnbd_router
    from retainops.audience.api import router as audience_router
    from retainops.cadence.api import router as cadence_router
    from retainops.changes.api import router as changes_router
    from retainops.clients.api import router as clients_router
    from retainops.clients.api_transfer import router as transfer_router
    from retainops.complaints.api import router as complaints_router
    from retainops.core.api import router as core_router
    from retainops.drops.api import router as drops_router
    from retainops.health.api import router as health_router
    from retainops.home.api import router as home_router
    from retainops.messaging.api import router as messages_router
    from retainops.onboarding.api import router as onboarding_router
    from retainops.performance.api import router as performance_router
    from retainops.playbooks.api import router as playbooks_router
    from retainops.portfolio.api import analytics_router
    from retainops.portfolio.api import router as portfolio_router
    from retainops.voice.api import router as voice_router

    api.add_router("", core_router)
    api.add_router("", clients_router)
    api.add_router("", transfer_router)
    api.add_router("", messages_router)
    api.add_router("", playbooks_router)
    api.add_router("", onboarding_router)
    api.add_router("", changes_router)
    api.add_router("", cadence_router)
    api.add_router("", complaints_router)
    api.add_router("/analytics/", analytics_router)
    api.add_router("", portfolio_router)
    api.add_router("", voice_router)
    api.add_router("", performance_router)
    api.add_router("", drops_router)
    api.add_router("", audience_router)
    api.add_router("/analytics/bgnbd", bgnbd_router)
    api.add_router("", health_router)
    api.add_router("", home_router)


_register_routers()
