"""API for importing and exporting clients and contracts as CSV or XLSX files.

Thin: the rules live in the clients.transfer package, shared with the import
page. A check (dry_run, in the request: files are capped) answers 200 when every
row is good and 422 with the same body when some are not. An import checks what
is cheap at once (422 or 413 as for a check), then queues the file for the worker
and answers 202 with the job; GET /import-jobs/{job_id} follows it to its report.
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
from retainops.clients.transfer.importing import check_upfront, run_import
from retainops.clients.transfer.results import ImportReport, Problem
from retainops.core.imports import queue_import
from retainops.core.schemas import ImportJobOut

router = Router(tags=["import/export"])


def _known(kind: str, fmt: str = "csv") -> None:
    if kind not in KINDS or fmt not in FORMATS:
        raise Http404("No such import or export.")


@router.post(
    "/imports/{kind}",
    response={200: ImportResultOut, 202: ImportJobOut, 413: ImportResultOut, 422: ImportResultOut},
)
def import_file(
    request: HttpRequest, kind: str, file: File[UploadedFile], dry_run: bool = True
) -> Any:
    """Check (dry_run=true, the default) or import a .csv or .xlsx file of clients or contracts.

    A check answers at once. An import is queued for the worker after the cheap checks
    (type, size, a workbook's zip directory; a CSV's encoding, quoting and headings):
    202 with the job, to follow at GET /import-jobs/{job_id}. 413 when the file, its
    unpacked size or its row count is over the limits."""
    _known(kind)
    try:
        check_upload_size(file.size)
        content = file.read()
    except FileProblem as problem:
        content = b""
        refused = ImportReport(kind=kind, dry_run=dry_run, too_large=True)
        refused.errors.append(Problem(None, "", str(problem)))
        return Status(413, refused)
    filename = file.name or ""
    if dry_run:
        report = run_import(
            kind=kind, content=content, filename=filename, by=request.user, dry_run=True
        )
    else:
        report = check_upfront(kind=kind, content=content, filename=filename, by=request.user)
        if report.ok:
            job = queue_import(by=request.user, kind=kind, file_name=filename, content=content)
            return Status(202, job)
        report.dry_run = False
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
