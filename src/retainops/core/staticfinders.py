"""Static files installed from npm: only the named files, not whole packages.

A package such as Pico ships hundreds of prebuilt variants; collecting (and, in
production, compressing) all of them would be wasted work, so settings name the
few files the pages use (VENDOR_STATIC_FILES: served path -> file in node_modules).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, overload

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Warning
from django.core.files.storage import FileSystemStorage


class VendorFilesFinder(BaseFinder):
    """Finds the files of settings.VENDOR_STATIC_FILES, each under its served path."""

    def _files(self) -> dict[str, Path]:
        return {served: Path(source) for served, source in settings.VENDOR_STATIC_FILES.items()}

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return [
            Warning(
                f"{source} is missing, so /static/{served} is not served.",
                hint="Run `make install` (it runs `npm ci`).",
                id="retainops.W001",
            )
            for served, source in self._files().items()
            if not source.is_file()
        ]

    @overload
    def find(self, path: str, find_all: Literal[False] = False) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...
    def find(self, path: str, find_all: bool = False) -> str | list[str] | None:
        source = self._files().get(path)
        found = [str(source)] if source is not None and source.is_file() else []
        if find_all:
            return found
        return found[0] if found else None

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for served, source in self._files().items():
            if source.is_file():
                # The storage's prefix makes collectstatic copy the file to its served path.
                storage = FileSystemStorage(location=str(source.parent))
                storage.prefix = str(Path(served).parent)  # type: ignore[attr-defined]
                yield source.name, storage
