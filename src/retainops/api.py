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


api = NinjaAPI(
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
    from retainops.cadence.api import router as cadence_router
    from retainops.changes.api import router as changes_router
    from retainops.clients.api import router as clients_router
    from retainops.clients.api_transfer import router as transfer_router
    from retainops.complaints.api import router as complaints_router
    from retainops.core.api import router as core_router
    from retainops.health.api import router as health_router
    from retainops.messaging.api import router as messages_router
    from retainops.onboarding.api import router as onboarding_router
    from retainops.playbooks.api import router as playbooks_router

    api.add_router("", core_router)
    api.add_router("", clients_router)
    api.add_router("", transfer_router)
    api.add_router("", messages_router)
    api.add_router("", playbooks_router)
    api.add_router("", onboarding_router)
    api.add_router("", changes_router)
    api.add_router("", cadence_router)
    api.add_router("", complaints_router)
    api.add_router("", health_router)


_register_routers()
