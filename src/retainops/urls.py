"""URL map: pages per app, the API under /api/v1/, and a health check."""

from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import include, path

from retainops.api import api


def healthz(_request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon."""
    return HttpResponsePermanentRedirect(static("retainops/favicon.svg"))


urlpatterns = [
    path("", include("retainops.home.urls")),
    path("", include("retainops.core.urls")),
    path("", include("retainops.clients.urls")),
    path("messages/", include("retainops.messaging.urls")),
    path("", include("retainops.playbooks.urls")),
    path("", include("retainops.onboarding.urls")),
    path("", include("retainops.onboarding.portal_urls")),
    path("", include("retainops.changes.urls")),
    path("", include("retainops.cadence.urls")),
    path("", include("retainops.complaints.urls")),
    path("", include("retainops.portfolio.urls")),
    path("", include("retainops.voice.urls")),
    path("", include("retainops.performance.urls")),
    path("", include("retainops.drops.urls")),
    path("", include("retainops.audience.urls")),
    path("health/", include("retainops.health.urls")),
    path("administration/", include("retainops.core.admin_urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
]
