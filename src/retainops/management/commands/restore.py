"""`retainops restore FILE --yes`: replace the database with a backup."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from retainops.core.backups import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database from a file written by `retainops backup` (replaces every row)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("backup", type=Path, help="The backup file.")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm: the current rows are replaced."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError(
                "Restoring replaces every row of the database: add --yes to confirm."
            )
        try:
            restore(source=options["backup"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored the database from {options['backup']}. "
            "Run `retainops migrate` if the backup is older than this version."
        )
