"""`retainops tick --at <ISO time>`: do everything due up to that instant once, then exit."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from retainops.worker import run_once


def _instant(text: str) -> datetime:
    """An aware datetime from ISO 8601 text; a clear error for anything else."""
    try:
        parsed = parse_datetime(text)
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None:
        raise CommandError(f"--at {text!r} is not an ISO 8601 date and time.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = "Process everything due up to the given instant (default: now) once, then exit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="ISO 8601 instant, e.g. 2026-11-24T09:00:00+00:00")

    def handle(self, *args: Any, **options: Any) -> None:
        at = timezone.now()
        if options["at"] is not None:
            at = _instant(options["at"])
        summary = run_once(now=at)
        self.stdout.write(summary)
