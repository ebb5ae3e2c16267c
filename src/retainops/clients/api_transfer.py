"""API for importing and exporting clients and contracts as CSV or XLSX files.

Thin: the rules live in the clients.transfer package, shared with the import
page. An import answers 200 when every row is good (written unless dry_run)
and 422 with the same body when some are not; nothing is written then.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Router, Status
from ninja.files import UploadedFile

from retainops.clients.schemas import ImportResultOut
from retainops.clients.transfer.columns import KINDS
from retainops.clients.transfer.export import export_data
from retainops.clients.transfer.files import FileProblem, check_upload_size
from retainops.clients.transfer.formats import FORMATS
from retainops.clients.transfer.importing import run_import
from retainops.clients.transfer.results import ImportReport, Problem

router = Router(tags=["import/export"])


def _known(kind: str, fmt: str = "csv") -> None:
    if kind not in KINDS or fmt not in FORMATS:
        raise Http404("No such import or export.")


@router.post(
    "/imports/{kind}",
    response={200: ImportResultOut, 413: ImportResultOut, 422: ImportResultOut},
)
def import_file(
    request: HttpRequest, kind: str, file: File[UploadedFile], dry_run: bool = True
) -> Any:
    """Check (dry_run=true, the default) or import a .csv or .xlsx file of clients or contracts.

    413 when the file, its unpacked size or its row count is over the limits."""
    _known(kind)
    try:
        check_upload_size(file.size)
        content = file.read()
    except FileProblem as problem:
        content = b""
        refused = ImportReport(kind=kind, dry_run=dry_run, too_large=True)
        refused.errors.append(Problem(None, "", str(problem)))
        return Status(413, refused)
    report = run_import(
        kind=kind, content=content, filename=file.name or "", by=request.user, dry_run=dry_run
    )
    if report.too_large:
        return Status(413, report)
    return Status(200 if report.ok else 422, report)


@router.get("/exports/{kind}.{fmt}")
def export_file(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The clients or contracts the caller can see, as csv or xlsx (re-importable)."""
    _known(kind, fmt)
    exported = export_data(kind=kind, user=request.user, fmt=fmt)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
