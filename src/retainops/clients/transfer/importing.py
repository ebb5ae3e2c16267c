"""Running an import: check every row, then write them all in one transaction, or none.

*Checking* reads every row, resolves what it names and validates the values
as the models and services would, collecting a problem for each bad cell; it
writes nothing, and a dry run stops there. *Writing* happens only when every
row is good: one transaction applies the rows through the services, and if a
service still refuses a row, the whole transaction is rolled back and the
refusal is reported like any other problem.
"""

from typing import Any

from django.db import transaction

from retainops.clients.transfer.cells import Row
from retainops.clients.transfer.client_checks import plan_clients
from retainops.clients.transfer.columns import KINDS
from retainops.clients.transfer.contract_checks import plan_contracts
from retainops.clients.transfer.files import FileProblem, check_before_reading
from retainops.clients.transfer.lookups import Lookups
from retainops.clients.transfer.results import ImportReport, Problem
from retainops.clients.transfer.sheet import Sheet, read_sheet
from retainops.clients.transfer.writing import write_plans
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.imports import Progress, tracked


def preview_import(*, kind: str, content: bytes, filename: str, by: Any) -> ImportReport:
    """Check every row of an upload and report what is wrong; write nothing."""
    return run_import(kind=kind, content=content, filename=filename, by=by, dry_run=True)


def check_upfront(*, kind: str, content: bytes, filename: str, by: Any) -> ImportReport:
    """What an upload shows wrong before it is queued, cheaply: the right to import it,
    its type, size and (for a workbook) zip directory; a CSV is read in full, since that
    is quick, for its encoding, quoting, headings and row count. Rows are not checked.

    Raises PermissionDenied like run_import; a report without errors may be queued.
    """
    require_import_rights(by, kind)
    report = ImportReport(kind=kind, dry_run=True)
    try:
        if check_before_reading(content, filename) == "csv":
            sheet = read_sheet(content, filename, kind, by)
            report.rows, report.ignored_columns = len(sheet.rows), sheet.ignored
    except FileProblem as problem:
        report.errors.append(Problem(None, problem.column, str(problem)))
        report.too_large = problem.too_large
    return report


def run_import(
    *,
    kind: str,
    content: bytes,
    filename: str,
    by: Any,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row of an upload; unless dry_run, write them all if (and only if) all are good.

    Raises PermissionDenied when the person may not import this kind at all;
    everything else wrong is a Problem in the report.
    """
    require_import_rights(by, kind)
    report = ImportReport(kind=kind, dry_run=dry_run)
    try:
        sheet = read_sheet(content, filename, kind, by)
    except FileProblem as problem:
        report.errors.append(Problem(None, problem.column, str(problem)))
        report.too_large = problem.too_large
        return report
    report.rows, report.ignored_columns = len(sheet.rows), sheet.ignored
    if dry_run:
        _check_and_write(report, sheet, by, write=False, progress=progress)
        return report
    with transaction.atomic():
        _check_and_write(report, sheet, by, write=True, progress=progress)
        if not report.ok:
            transaction.set_rollback(True)
    return report


def require_import_rights(by: Any, kind: str) -> None:
    """Importing needs data.import; contracts also need the right to edit contracts."""
    if kind not in KINDS:
        raise invalid("kind", f"Import clients or contracts, not {kind!r}.")
    require_capability(by, Capability.IMPORT_DATA)
    if kind == "contracts":
        require_capability(by, Capability.EDIT_CONTRACT)


def _check_and_write(
    report: ImportReport, sheet: Sheet, by: Any, *, write: bool, progress: Progress | None
) -> None:
    """Plan every row; write only if no row has a problem; count outcomes only if all is good."""
    rows = [Row(number, cells) for number, cells in sheet.rows]
    planner = plan_clients if report.kind == "clients" else plan_contracts
    plans = planner(rows if progress is None else tracked(rows, progress), Lookups(by))
    report.errors.extend(problem for row in rows for problem in row.problems)
    if not report.ok:
        return
    if write:
        report.errors.extend(write_plans(plans, by))
    if report.ok:
        outcomes = [plan.outcome() for plan in plans]
        report.created = outcomes.count("created")
        report.updated = outcomes.count("updated")
        report.unchanged = outcomes.count("unchanged")
