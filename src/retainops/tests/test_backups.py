"""`retainops backup` and `retainops restore`: every row comes back, and the database checks."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory
from retainops.core.backups import BackupError, restore


def _row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
        return counts


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_holds_every_row_and_passes_the_checks(
    tmp_path: Path, north, settings
) -> None:
    # Tests run with DEBUG off, where the checks want the address clients open.
    settings.SITE_URL = "https://retainops.example"
    ClientFactory.create_batch(3, business_unit=north)
    before = _row_counts()
    backup = tmp_path / "retainops.backup"

    call_command("backup", output=backup, stdout=StringIO())
    assert backup.stat().st_size > 0
    ClientFactory.create(name="Made after the backup", business_unit=north)
    assert Client.objects.count() == 4

    call_command("restore", str(backup), yes=True, stdout=StringIO())

    assert _row_counts() == before
    assert not Client.objects.filter(name="Made after the backup").exists()
    call_command("check", fail_level="ERROR")
    call_command("migrate", check=True, plan=True, stdout=StringIO())


def test_restore_asks_for_confirmation(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="add --yes"):
        call_command("restore", str(tmp_path / "x.backup"))


@pytest.mark.django_db
def test_restoring_a_missing_or_foreign_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="No backup file"):
        restore(source=tmp_path / "missing.backup")
    if connection.vendor == "sqlite":
        junk = tmp_path / "junk.backup"
        junk.write_bytes(b"this is not a database" * 100)
        with pytest.raises(BackupError, match=r"not an SQLite backup|integrity"):
            restore(source=junk)
