"""`retainops ingest_orders SOURCE_ID FILE...`: import order files into a source, with
a progress bar, each file all or nothing; then resolve and segment the data set."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from retainops.audience import services
from retainops.audience.choices import RunState
from retainops.audience.models import Source


class Command(BaseCommand):
    help = "Import order files (CSV, XLSX, Parquet) into a source through its column mapping."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", type=int, help="The source's id (see its page).")
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--no-analysis", action="store_true", help="Import only.")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Source.objects.filter(pk=options["source"]).select_related("data_set").first()
        if source is None:
            raise CommandError(f"No source has the id {options['source']}.")
        added = 0
        refused = 0
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
            run = services.queue_path(by=None, source=source, path=path)

            def bar(done: int, total: int, name: str = path.name) -> None:
                filled = int(30 * done / total) if total else 30
                self.stdout.write(
                    f"\r{name}: [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", ending=""
                )
                self.stdout.flush()

            run = services.run_import(run, worker="command", progress=bar, analyse_after=False)
            self.stdout.write("")
            if run.state == RunState.SUCCEEDED:
                added += run.rows_added
                note = " (imported before: nothing added)" if run.already_imported else ""
                self.stdout.write(f"{path.name}: {run.rows_added} order lines added{note}.")
            else:
                refused += 1
                self.stderr.write(
                    f"{path.name}: refused, {run.error_count} problem(s), nothing written:"
                )
                for error in run.errors[:20]:
                    where = f"line {error['line']}" + (
                        f", column {error['column']!r}" if error["column"] else ""
                    )
                    self.stderr.write(f"  {error['file']}, {where}: {error['message']}")
        if added and not options["no_analysis"]:
            done = services.analyse(source.data_set)
            self.stdout.write(
                f"{done.resolution.records} records resolved to "
                f"{done.resolution.customers} customers; "
                f"{done.scores.customers} scored."
            )
        if refused:
            raise CommandError(f"{refused} file(s) refused.")
