"""Client and contract files imported by the worker (core.imports): the same checking
and writing as `run_import`, run for the person who uploaded the file."""

from typing import Any

from retainops.clients.transfer.importing import require_import_rights, run_import
from retainops.core.imports import ImportKind, Progress, Result, register_import
from retainops.core.models import ImportJob


def _check(job: ImportJob, content: bytes, progress: Progress) -> Result:
    report = run_import(
        kind=job.kind,
        content=content,
        filename=job.file_name,
        by=job.requested_by,
        dry_run=True,
        progress=progress,
    )
    return report.as_result()


def _write(job: ImportJob, content: bytes) -> Result:
    report = run_import(
        kind=job.kind, content=content, filename=job.file_name, by=job.requested_by, dry_run=False
    )
    return report.as_result()


def _authorise(kind: str) -> Any:
    return lambda by, _options: require_import_rights(by, kind)


def register() -> None:
    for kind, label in (("clients", "Clients"), ("contracts", "Contracts")):
        register_import(
            ImportKind(
                kind=kind,
                label=label,
                authorise=_authorise(kind),
                check=_check,
                write=_write,
                back_url="clients:import",
                done_url="clients:list",
            )
        )
