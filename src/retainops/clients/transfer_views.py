"""Import and export pages (placeholder until written)."""

from django.http import HttpRequest, HttpResponse


def import_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("import")


def export_view(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    return HttpResponse("export")
