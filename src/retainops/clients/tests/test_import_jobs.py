"""Client and contract files imported by the worker: queued by the page or the API,
checked and written by a job (core.imports), all rows or none, followed by the person
who queued it and nobody else."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from retainops.clients.models import Client, Contract
from retainops.clients.testing import ClientFactory
from retainops.clients.tests.test_transfer import (
    CLIENT_HEADER,
    CONTRACT_HEADER,
    client_row,
    csv_bytes,
)
from retainops.clients.transfer import writing
from retainops.core import imports
from retainops.core.choices import JobState
from retainops.core.models import ImportJob
from retainops.core.testing import ApiCaller, UserFactory, run_import_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def importer(north):
    """A department manager of North: may import clients and contracts there."""
    return UserFactory.create(username="dana_dm", roles=["department_manager"], units=[north])


@pytest.fixture
def south_importer(south):
    return UserFactory.create(username="sol_dm", roles=["department_manager"], units=[south])


def queue(by, rows, kind="clients") -> ImportJob:
    return imports.queue_import(by=by, kind=kind, file_name=f"{kind}.csv", content=csv_bytes(rows))


def test_a_queued_clients_file_is_written_by_the_worker(importer):
    job = queue(importer, [CLIENT_HEADER, client_row("Harbor Dental"), client_row("Cedar Auto")])
    assert job.state == JobState.QUEUED
    assert (imports.imports_dir() / job.stored_as).exists()
    assert not Client.objects.exists()

    assert run_import_jobs() == 1

    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.percent == 100
    assert (job.result["rows"], job.result["created"], job.result["errors"]) == (2, 2, [])
    assert (job.rows_read, job.rows_total, job.attempts) == (2, 2, 1)
    assert set(Client.objects.values_list("name", flat=True)) == {"Harbor Dental", "Cedar Auto"}
    assert Client.objects.get(name="Cedar Auto").history.first().history_user == importer
    assert not (imports.imports_dir() / job.stored_as).exists()  # kept only while needed


def test_a_queued_contracts_file_is_written_by_the_worker(importer, north):
    ClientFactory.create(name="Harbor Dental", business_unit=north, external_id="H-1")
    rows = [
        CONTRACT_HEADER,
        ["H-1", "north", "HD-2026", "seo", "1500", "usd", "2026-01-01", "12", "", "active"],
        ["H-1", "", "HD-2026", "sem", "750", "", "", "", "", ""],
    ]
    job = queue(importer, rows, kind="contracts")
    run_import_jobs()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.result
    assert (job.result["rows"], job.result["created"]) == (2, 1)
    contract = Contract.objects.get(reference="HD-2026")
    assert set(contract.lines.values_list("service__code", flat=True)) == {"seo", "sem"}


def test_a_file_with_a_bad_row_fails_with_its_line_and_writes_nothing(importer):
    rows = [CLIENT_HEADER, client_row("Harbor Dental"), client_row("", status="x")]
    job = queue(importer, rows)
    run_import_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "name"), (3, "status")}
    assert job.bad_rows == 1
    assert not Client.objects.exists()
    assert (imports.imports_dir() / job.stored_as).exists()  # a failed file stays to look at


def test_a_refusal_while_writing_fails_the_job_and_rolls_every_row_back(importer, monkeypatch):
    """Checking passes; a service refuses the second client as it is written: the first,
    already written in the same transaction, is rolled back with it."""
    real = writing.write_plans

    def refuse_the_last(plans, by):
        problems = real(plans[:-1], by)
        return [*problems, writing.Problem(plans[-1].row, "name", "Refused while writing.")]

    monkeypatch.setattr("retainops.clients.transfer.importing.write_plans", refuse_the_last)
    job = queue(importer, [CLIENT_HEADER, client_row("Harbor Dental"), client_row("Cedar Auto")])
    run_import_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.errors == [{"row": 3, "column": "name", "message": "Refused while writing."}]
    assert not Client.objects.exists()


class Killed(BaseException):
    """The worker's process dying mid-import (SIGKILL, power): nothing after it runs."""


def test_a_job_killed_while_writing_is_taken_up_again_and_writes_once(importer, monkeypatch):
    real = writing.write_plans

    def die_after_the_first(plans, by):
        real(plans[:1], by)
        raise Killed

    monkeypatch.setattr("retainops.clients.transfer.importing.write_plans", die_after_the_first)
    job = queue(importer, [CLIENT_HEADER, client_row("Harbor Dental"), client_row("Cedar Auto")])
    with pytest.raises(Killed):
        run_import_jobs()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.attempts == 1
    assert not Client.objects.exists()  # the transaction died with the worker

    monkeypatch.setattr("retainops.clients.transfer.importing.write_plans", real)
    assert run_import_jobs() == 0  # its heartbeat is fresh: the worker may still be alive
    later = timezone.now() + timedelta(seconds=301)
    with time_machine.travel(later, tick=False):
        assert [j.pk for j in imports.due_jobs(timezone.now())] == [job.pk]
        assert run_import_jobs() == 1
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.attempts == 2
    assert job.result["created"] == 2
    assert Client.objects.count() == 2


def test_a_stale_claim_cannot_commit_after_another_took_the_job(importer):
    """A worker that stopped answering and comes back finds its claim gone and writes
    nothing: only the claim that holds the job may write it."""
    job = queue(importer, [CLIENT_HEADER, client_row("Harbor Dental")])
    ImportJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, claimed_by="other-worker/abc", heartbeat_at=timezone.now()
    )
    job.refresh_from_db()
    assert imports._write(job, imports.import_kind("clients"), b"", "me/old", rows=1) is None
    assert not Client.objects.exists()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.claimed_by == "other-worker/abc"


def test_progress_is_reported_as_rows_are_checked(importer, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    seen: list[tuple[int, int]] = []
    real = imports._reporter

    def spying(job, token):
        report = real(job, token)

        def both(read: int, total: int) -> None:
            report(read, total)
            stored = ImportJob.objects.get(pk=job.pk)
            seen.append((stored.rows_read, stored.rows_total))

        return both

    monkeypatch.setattr(imports, "_reporter", spying)
    rows = [CLIENT_HEADER] + [client_row(f"Client {n}") for n in range(5)]
    job = queue(importer, rows)
    run_import_jobs()
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert (2, 5) in seen and (4, 5) in seen
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_a_running_job_shows_its_percent_and_rows(client, importer):
    job = queue(importer, [CLIENT_HEADER, client_row("Harbor Dental")])
    ImportJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, rows_read=300, rows_total=1200, step="Checking the rows"
    )
    client.force_login(importer)
    page = client.get(reverse("import_job", args=[job.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "25% · 300 of 1200 rows checked" in text
    assert 'hx-trigger="every 2s"' in text  # asks again while open (no inline script)
    card = client.get(reverse("import_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert card.content.decode().lstrip().startswith('<section class="card" id="import-job"')


def test_another_units_importer_is_answered_404(client, importer, south_importer):
    job = queue(importer, [CLIENT_HEADER, client_row("Harbor Dental")])
    client.force_login(south_importer)
    assert client.get(reverse("import_job", args=[job.pk])).status_code == 404
    assert ApiCaller(south_importer).get(f"/import-jobs/{job.pk}").status_code == 404
    assert ApiCaller(importer).get(f"/import-jobs/{job.pk}").status_code == 200


def test_someone_without_the_right_cannot_queue(account_manager):
    with pytest.raises(imports.PermissionDenied):
        queue(account_manager, [CLIENT_HEADER, client_row("Harbor Dental")])
    assert not ImportJob.objects.exists()


def test_a_job_whose_person_lost_the_right_fails_and_writes_nothing(importer):
    job = queue(importer, [CLIENT_HEADER, client_row("Harbor Dental")])
    importer.roles.clear()
    run_import_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "not allowed" in job.errors[0]["message"]
    assert not Client.objects.exists()


def test_the_page_refuses_an_unreadable_file_at_once(client, importer):
    client.force_login(importer)
    content = b'name,business_unit\n"Harbor Dental,north\n'
    page = client.post(
        reverse("clients:import"),
        {"kind": "clients", "file": SimpleUploadedFile("c.csv", content), "action": "import"},
    )
    assert page.status_code == 400
    assert "never closed" in page.content.decode()
    assert not ImportJob.objects.exists()
