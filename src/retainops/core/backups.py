"""Backing up and restoring the database: SQLite's online backup, PostgreSQL's own tools.

SQLite: `sqlite3.Connection.backup` copies a consistent snapshot page by page while
the web and the worker go on writing (no file copy of a live WAL database, which can
tear). A restore copies the backup back the same way, into the configured file.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists`, with the
connection settings of DATABASE_URL passed through the environment, never on the
command line where `ps` would show the password.
"""

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    size: int


def back_up(*, to: Path, alias: str = "default") -> BackupResult:
    """Write a consistent copy of the database to `to` (overwritten if it exists)."""
    settings = connections[alias].settings_dict
    to.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite(settings):
        _sqlite_copy(source=_sqlite_source(alias), target_path=to)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(to)], settings)
    return BackupResult(path=to, engine=_engine(settings), size=to.stat().st_size)


def restore(*, source: Path, alias: str = "default") -> None:
    """Replace the database's contents with the backup at `source`."""
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    settings = connections[alias].settings_dict
    if _is_sqlite(settings):
        _check_sqlite_file(source)
        connections[alias].close()
        with sqlite3.connect(source) as backup, sqlite3.connect(settings["NAME"]) as target:
            backup.backup(target)
    else:
        connections[alias].close()
        restore_command = ["pg_restore", "--clean", "--if-exists", "--no-owner"]
        _run([*restore_command, "--dbname", str(settings["NAME"]), str(source)], settings)


def _is_sqlite(settings: dict[str, Any]) -> bool:
    return bool(settings["ENGINE"].endswith("sqlite3"))


def _engine(settings: dict[str, Any]) -> str:
    return "sqlite" if _is_sqlite(settings) else "postgresql"


def _sqlite_source(alias: str) -> sqlite3.Connection:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.connection


def _sqlite_copy(*, source: sqlite3.Connection, target_path: Path) -> None:
    target_path.unlink(missing_ok=True)
    with sqlite3.connect(target_path) as target:
        source.backup(target)
    target.close()


def _check_sqlite_file(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as backup:
            result = backup.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an SQLite backup: {error}.") from None
    if result is None or result[0] != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}.")


def _run(command: list[str], settings: dict[str, Any]) -> None:
    environment = {
        **os.environ,
        "PGHOST": str(settings.get("HOST") or ""),
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": str(settings.get("USER") or ""),
        "PGPASSWORD": str(settings.get("PASSWORD") or ""),
        "PGDATABASE": str(settings["NAME"]),
    }
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client tools."
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")
