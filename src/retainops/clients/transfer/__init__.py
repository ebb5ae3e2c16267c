"""Import and export of clients and contracts as CSV or XLSX spreadsheets.

Agencies keep their clients in spreadsheets and CRMs. An import brings those
rows in; an export takes them out in the same columns, so an export can be
edited and imported again.

An import has two phases. *Checking* reads every row, resolves what it names
(business unit, people, services, existing clients and contracts) and
validates the values as the models and services would, collecting a problem
for each bad cell; it writes nothing, and a dry run stops there. *Writing*
happens only when every row is good: one transaction applies the rows through
the services of clients/services.py, so permission checks and the audit
history (who changed what) are the same as for someone using the pages. If a
service still refuses a row, the whole transaction is rolled back and the
refusal is reported like any other problem.

Row numbers in reports are the spreadsheet's own: the header is row 1, the
first data row is row 2.

The modules, in the order an import uses them:

    files        an upload's bytes as records (CSV, XLSX), blank rows included
    headings     the header row mapped to our columns (columns: names, aliases)
    sheet        the data rows, numbered, with cells keyed by column
    cells        a row's cells read as dates, amounts, choices
    lookups      units, services, people and clients the rows name
    client_*     checking a clients file and the plan for each client
    contract_*   checking a contracts file and the plan for each contract
    validation   the models' own validation, run before writing
    writing      applying the plans through the services
    importing    the entry points: run_import, preview_import
    export       export_data, export_clients, export_contracts

The names below are the ones the pages, the API and the tests use.
"""

from retainops.clients.transfer.columns import (
    CLIENT_COLUMNS,
    COLUMNS,
    CONTRACT_COLUMNS,
    KINDS,
    ColumnGuide,
    column_guide,
)
from retainops.clients.transfer.export import (
    ExportFile,
    export_clients,
    export_contracts,
    export_data,
)
from retainops.clients.transfer.files import FileProblem, check_upload_size
from retainops.clients.transfer.formats import CONTENT_TYPES, FORMATS
from retainops.clients.transfer.importing import preview_import, run_import
from retainops.clients.transfer.results import ImportReport, Problem

__all__ = [
    "CLIENT_COLUMNS",
    "COLUMNS",
    "CONTENT_TYPES",
    "CONTRACT_COLUMNS",
    "FORMATS",
    "KINDS",
    "ColumnGuide",
    "ExportFile",
    "FileProblem",
    "ImportReport",
    "Problem",
    "check_upload_size",
    "column_guide",
    "export_clients",
    "export_contracts",
    "export_data",
    "preview_import",
    "run_import",
]
