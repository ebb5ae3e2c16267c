"""Platform exports imported by the worker: the page queues the file after the cheap
checks and follows the job; every value is written, or none."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from retainops.core.choices import JobState
from retainops.core.models import ImportJob
from retainops.core.testing import UserFactory, run_import_jobs
from retainops.performance.models import MetricSource, MetricValue

pytestmark = pytest.mark.django_db
MORNING = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


def dsp_file(program, *lines: str) -> bytes:
    body = "".join(f"{line.format(p=program.pk)}\n" for line in lines)
    return f"Date,Program ID,Service,Metric,Value\n{body}".encode()


def upload(client, content: bytes, *, check_only: bool = False, name: str = "dsp.csv"):
    data = {
        "source": MetricSource.objects.get(key="dsp").pk,
        "file": SimpleUploadedFile(name, content),
    }
    if check_only:
        data["dry_run"] = "on"
    return client.post(reverse("performance:import"), data)


@time_machine.travel(MORNING, tick=False)
def test_the_page_queues_the_file_and_the_worker_writes_it(client, new_program, administrator):
    program = new_program()
    client.force_login(administrator)
    content = dsp_file(
        program, '03/12/2026,{p},sem,spend,"1.234,50"', "03/12/2026,{p},sem,clicks,80"
    )
    queued = upload(client, content)
    job = ImportJob.objects.get()
    assert queued.status_code == 302 and queued["Location"] == reverse("import_job", args=[job.pk])
    assert (job.kind, job.options) == ("metrics", {"source": job.options["source"]})
    assert not MetricValue.objects.exists()

    assert run_import_jobs() == 1
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.result
    assert (job.result["created"], job.result["updated"], job.result["unchanged"]) == (2, 0, 0)
    spend = MetricValue.objects.get(program=program, metric="spend")
    assert spend.value == Decimal("1234.5")
    page = client.get(queued["Location"])
    assert "<strong>2</strong> created" in page.content.decode()
    assert reverse("performance:import") in page.content.decode()


@time_machine.travel(MORNING, tick=False)
def test_a_file_with_bad_rows_fails_naming_them_and_writes_nothing(
    client, new_program, administrator
):
    program = new_program()
    client.force_login(administrator)
    content = dsp_file(program, "03/12/2026,{p},sem,clicks,80", "31/12/2026,{p},sem,clicks,x")
    assert upload(client, content).status_code == 302
    run_import_jobs()
    job = ImportJob.objects.get()
    assert job.state == JobState.FAILED
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "date"), (3, "value")}
    assert not MetricValue.objects.exists()
    page = client.get(reverse("import_job", args=[job.pk]))
    assert "Nothing was written" in page.content.decode()


def test_a_file_missing_a_mapped_column_is_refused_before_it_is_queued(client, administrator):
    client.force_login(administrator)
    page = upload(client, b"Date,Service,Metric,Value\n03/12/2026,sem,clicks,80\n")
    assert page.status_code == 400
    assert "no column &#x27;Program ID&#x27;" in page.content.decode()
    assert not ImportJob.objects.exists()


@time_machine.travel(MORNING, tick=False)
def test_check_only_stays_in_the_request_and_writes_nothing(client, new_program, administrator):
    program = new_program()
    client.force_login(administrator)
    page = upload(client, dsp_file(program, "03/12/2026,{p},sem,clicks,80"), check_only=True)
    assert page.status_code == 200
    assert "1 new" in page.content.decode() and "checked only" in page.content.decode()
    assert not ImportJob.objects.exists() and not MetricValue.objects.exists()


def test_only_someone_who_imports_may_queue(client, north):
    outsider = UserFactory.create(username="sid_service", roles=["service_team"], units=[north])
    client.force_login(outsider)
    assert upload(client, b"Date\n").status_code == 403
    assert not ImportJob.objects.exists()
