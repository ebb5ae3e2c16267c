"""`retainops backup [--output FILE]`: a consistent copy of the database."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from retainops.core.backups import BackupError, back_up


class Command(BaseCommand):
    help = "Back up the database (SQLite: online backup; PostgreSQL: pg_dump custom format)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Where to write the backup (default var/backups/retainops-<time>.backup).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        path = options["output"] or Path(settings.VAR_DIR) / "backups" / f"retainops-{stamp}.backup"
        try:
            result = back_up(to=path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Backed up the {result.engine} database to {result.path} ({result.size:,} bytes)."
        )
