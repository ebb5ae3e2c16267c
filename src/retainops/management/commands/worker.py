"""`retainops worker`: the long-running process that delivers messages and fires timers."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from retainops.worker import run_forever


class Command(BaseCommand):
    help = "Deliver queued messages and fire due timers until stopped (SIGTERM or Ctrl-C)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--poll", type=float, default=None, help="Seconds between idle polls.")

    def handle(self, *args: Any, **options: Any) -> None:
        run_forever(poll_seconds=options["poll"], stdout=self.stdout)
