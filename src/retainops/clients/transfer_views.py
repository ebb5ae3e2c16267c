"""Import and export pages. Thin: the rules live in the clients.transfer package.

The import page checks an upload (a dry run that lists every bad cell, in the
request: files are capped by IMPORT_MAX_BYTES and IMPORT_MAX_ROWS) or imports
it: what is cheap to check is checked at once, then the file is queued for the
worker and the page follows the job (core.imports), which writes every row or
none. After a clean check the file is kept in the session, so "Import these
rows" needs no second upload.
"""

import base64
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from retainops.clients.transfer.columns import KINDS, column_guide
from retainops.clients.transfer.export import export_data
from retainops.clients.transfer.files import FileProblem, check_upload_size
from retainops.clients.transfer.formats import FORMATS
from retainops.clients.transfer.importing import check_upfront, run_import
from retainops.clients.transfer.results import ImportReport
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import errors_by_field
from retainops.core.imports import queue_import

CHECKED_KEY = "transfer_checked_upload"
# Larger checked files are not kept in the session; they are chosen again to import.
MAX_KEPT_BYTES = 2 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("clients", "Clients"), ("contracts", "Contracts")],
        initial="clients",
        widget=forms.RadioSelect,
        label="What the file holds",
    )
    file = forms.FileField(
        label="File",
        help_text="A .csv or .xlsx file whose first row holds the column names.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_upload_size(upload.size)
        except FileProblem as problem:
            raise forms.ValidationError(str(problem), code="too_large") from None
        return upload

    @property
    def too_large(self) -> bool:
        return self.has_error("file", code="too_large")


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a file, then check it ("Check") or write it ("Import")."""
    require_capability(request.user, Capability.IMPORT_DATA)
    if request.method == "POST" and request.POST.get("action") == "import_checked":
        return _import_checked(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, form, status=_refusal_status(form) if form.errors else 200)
    upload = form.cleaned_data["file"]
    kind, content, filename = form.cleaned_data["kind"], upload.read(), upload.name or ""
    request.session.pop(CHECKED_KEY, None)
    if request.POST.get("action") == "import":
        return _queue(request, form, kind, content, filename)
    report = _run(request, form, kind, content, filename, dry_run=True)
    if report is not None and report.ok:
        _keep_checked(request, kind, content, filename)
    if report is not None and report.too_large:
        return _page(request, form, report, status=413)
    return _page(request, form, report, status=400 if report is None else 200)


def _refusal_status(form: ImportForm) -> int:
    return 413 if form.too_large else 400


def _run(
    request: HttpRequest,
    form: ImportForm,
    kind: str,
    content: bytes,
    filename: str,
    dry_run: bool,
) -> ImportReport | None:
    """The report, or None with the refusal on the form (e.g. no right to edit contracts)."""
    try:
        return run_import(
            kind=kind, content=content, filename=filename, by=request.user, dry_run=dry_run
        )
    except (PermissionDenied, ValidationError) as refusal:
        _refuse(form, refusal)
    return None


def _refuse(form: ImportForm, refusal: PermissionDenied | ValidationError) -> None:
    if isinstance(refusal, PermissionDenied):
        form.add_error(None, str(refusal))
        return
    for messages_ in errors_by_field(refusal).values():
        for message in messages_:
            form.add_error(None, message)


def _queue(
    request: HttpRequest, form: ImportForm, kind: str, content: bytes, filename: str
) -> HttpResponse:
    """Check what is cheap now; queue the file for the worker and follow its job."""
    try:
        report = check_upfront(kind=kind, content=content, filename=filename, by=request.user)
    except (PermissionDenied, ValidationError) as refusal:
        _refuse(form, refusal)
        return _page(request, form, status=400)
    if not report.ok:
        return _page(request, form, report, status=413 if report.too_large else 400)
    job = queue_import(by=request.user, kind=kind, file_name=filename, content=content)
    return redirect("import_job", job.pk)


def _keep_checked(request: HttpRequest, kind: str, content: bytes, filename: str) -> None:
    if len(content) > MAX_KEPT_BYTES:
        return
    request.session[CHECKED_KEY] = {
        "kind": kind,
        "filename": filename,
        "content": base64.b64encode(content).decode("ascii"),
    }


def _import_checked(request: HttpRequest) -> HttpResponse:
    """Import the file that the last clean check kept in the session."""
    kept = request.session.pop(CHECKED_KEY, None)
    form = ImportForm(initial={"kind": kept["kind"]} if kept else None)
    if kept is None:
        messages.error(request, "Nothing checked is waiting to be imported; choose the file.")
        return _page(request, form, status=400)
    content = base64.b64decode(kept["content"])
    return _queue(request, form, kept["kind"], content, kept["filename"])


def _page(
    request: HttpRequest,
    form: ImportForm,
    report: ImportReport | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "guides": [
            ("Clients", column_guide("clients")),
            ("Contracts", column_guide("contracts")),
        ],
        "exports": [(kind, fmt) for kind in KINDS for fmt in FORMATS],
        "max_shown": 500,
        "kept": CHECKED_KEY in request.session,
    }
    return render(request, "clients/import.html", context, status=status)


@login_required
def export_view(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """Download the clients or contracts the person can see, as CSV or XLSX."""
    if kind not in KINDS or fmt not in FORMATS:
        raise Http404("No such export.")
    exported = export_data(kind=kind, user=request.user, fmt=fmt)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
