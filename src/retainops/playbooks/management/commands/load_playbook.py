"""`retainops load_playbook FILE... | --shipped`: check and publish playbook definitions."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from retainops.core.models import User
from retainops.playbooks.definition import DefinitionInvalid
from retainops.playbooks.library import load_source, shipped_sources


class Command(BaseCommand):
    help = (
        "Check and publish playbooks from YAML files (or the shipped ones with --shipped). "
        "A file whose text is already the current version publishes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="*", help="YAML files to publish")
        parser.add_argument("--shipped", action="store_true", help="the playbooks RetainOps ships")
        parser.add_argument(
            "--as", dest="username", default="admin", help="who publishes (default: admin)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sources = shipped_sources() if options["shipped"] else {}
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file.")
            sources[name] = path.read_text()
        if not sources:
            raise CommandError("Name YAML files to load, or --shipped.")
        publisher = User.objects.filter(username=options["username"], is_active=True).first()
        if publisher is None:
            raise CommandError(f"No active user is called {options['username']!r} (use --as).")
        for name, source in sources.items():
            try:
                version, published = load_source(by=publisher, source=source)
            except DefinitionInvalid as error:
                problems = "\n  ".join(str(p) for p in error.problems)
                raise CommandError(f"{name} is not a valid playbook:\n  {problems}") from None
            state = "published" if published else "already current"
            self.stdout.write(f"{name}: {version} {state}")
