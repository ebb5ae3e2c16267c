"""KPI targets against comparable programs, performance data in, pacing, attainment and
the monthly report."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retainops.clients.models import ServiceLine
from retainops.messaging.models import Message
from retainops.onboarding.models import Program
from retainops.performance import queries, services, sweeps
from retainops.performance.importing import MetricRow
from retainops.performance.models import (
    Kpi,
    MetricSource,
    MetricValue,
    PacingEpisode,
    ProgramKpi,
    ReportSend,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 20)


def rows(program: Program, *items: tuple) -> list[MetricRow]:
    return [
        MetricRow(row=i, program=program.pk, service=s, date=d, metric=m, value=v, currency=c)
        for i, (s, d, m, v, c) in enumerate(items, start=1)
    ]


def test_the_quartiles_of_comparable_programs_and_the_over_promise_flag(
    new_program, peer, account_manager
):
    for total in (100, 200, 300, 400, 500):
        peer(total, name=f"Past {total}")
    program = new_program()
    sem = ServiceLine.objects.get(code="sem")
    clicks_kpi = Kpi.objects.get(key="clicks")
    realistic = services.set_target(
        by=account_manager, program=program, service=sem, kpi=clicks_kpi, target=350, today=TODAY
    )
    assert (realistic.p25, realistic.p50, realistic.p75, realistic.comparables) == (
        200.0,
        300.0,
        400.0,
        5,
    )
    assert not realistic.over_promise
    with pytest.raises(ValidationError) as refused:
        services.set_target(
            by=account_manager,
            program=program,
            service=sem,
            kpi=clicks_kpi,
            target=450,
            today=TODAY,
        )
    assert "reason" in refused.value.message_dict
    assert ProgramKpi.objects.get(pk=realistic.pk).target == Decimal(350)
    flagged = services.set_target(
        by=account_manager,
        program=program,
        service=sem,
        kpi=clicks_kpi,
        target=450,
        reason="The client doubles its landing pages.",
        today=TODAY,
    )
    assert flagged.over_promise and flagged.over_promise_reason
    assert queries.over_promised_targets([program.pk]) == [flagged]


def test_with_no_comparable_program_nothing_is_flagged(new_program, account_manager):
    program = new_program()
    sem = ServiceLine.objects.get(code="sem")
    target = services.set_target(
        by=account_manager,
        program=program,
        service=sem,
        kpi=Kpi.objects.get(key="cpl"),
        target=1,
        today=TODAY,
    )
    assert target.comparables == 0 and not target.over_promise


def test_a_formula_naming_an_unknown_metric_is_refused(administrator):
    with pytest.raises(ValidationError) as refused:
        services.create_kpi(
            by=administrator,
            key="x",
            name="X",
            formula="clicks / visits",
            unit="ratio",
            higher_is_better=True,
        )
    assert "visits" in refused.value.message_dict["formula"][0]
    assert not Kpi.objects.filter(key="x").exists()


def test_reimport_adds_nothing_and_a_correction_replaces(new_program, administrator, api_source):
    program = new_program()
    first = rows(
        program,
        ("sem", "2026-12-01", "clicks", "120", ""),
        ("sem", "2026-12-01", "spend", "50.5", "USD"),
    )
    report = services.import_metrics(by=administrator, source=api_source, rows=first, today=TODAY)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    again = services.import_metrics(by=administrator, source=api_source, rows=first, today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert MetricValue.objects.filter(program=program).count() == 2
    corrected = rows(program, ("sem", "2026-12-01", "clicks", "125", ""))
    fixed = services.import_metrics(
        by=administrator, source=api_source, rows=corrected, today=TODAY
    )
    assert (fixed.created, fixed.updated) == (0, 1)
    assert MetricValue.objects.get(program=program, metric="clicks").value == Decimal(125)
    assert MetricValue.objects.filter(program=program).count() == 2


def test_every_bad_row_is_named_and_nothing_is_written(new_program, administrator, api_source):
    program = new_program()
    bad = [
        MetricRow(1, 999999, "sem", "2026-12-01", "clicks", "1"),
        MetricRow(2, program.pk, "sem", "2026-12-01", "visits", "1"),
        MetricRow(3, program.pk, "sem", "2027-01-05", "clicks", "1"),
        MetricRow(4, program.pk, "sem", "2026-12-01", "spend", "-5", "USD"),
        MetricRow(5, program.pk, "sem", "2026-12-02", "spend", "5", "EUR"),
        MetricRow(6, program.pk, "sem", "2026-12-03", "clicks", "7"),
        MetricRow(7, "9" * 25, "sem", "2026-12-03", "clicks", "7"),  # past any integer column
    ]
    report = services.import_metrics(by=administrator, source=api_source, rows=bad, today=TODAY)
    found = {(p.row, p.column) for p in report.errors}
    assert found == {
        (1, "program"),
        (2, "metric"),
        (3, "date"),
        (4, "value"),
        (5, "currency"),
        (7, "program"),
    }
    assert report.bad_rows == 6
    assert not MetricValue.objects.exists()


def test_a_mapped_file_with_its_date_format_and_separators(new_program, administrator):
    program = new_program()
    dsp = MetricSource.objects.get(key="dsp")
    content = (
        "Date,Program ID,Service,Metric,Value\n"
        f'03/12/2026,{program.pk},sem,spend,"1.234,50"\n'
        f"03/12/2026,{program.pk},sem,clicks,80\n"
    ).encode()
    report = services.import_metrics_file(
        by=administrator, source=dsp, content=content, filename="dsp.csv", today=TODAY
    )
    assert report.ok, report.errors
    spend = MetricValue.objects.get(program=program, metric="spend")
    assert (spend.date, spend.value, spend.currency) == (
        date(2026, 12, 3),
        Decimal("1234.5"),
        "USD",
    )


def test_importing_needs_the_capability(new_program, service_agent, api_source):
    program = new_program()
    with pytest.raises(PermissionDenied):
        services.import_metrics(
            by=service_agent,
            source=api_source,
            rows=rows(program, ("sem", "2026-12-01", "clicks", "1", "")),
            today=TODAY,
        )


def _live(program: Program) -> Program:
    Program.objects.filter(pk=program.pk).update(status="live")
    program.refresh_from_db()
    return program


def test_pacing_warns_the_am_once_per_episode(new_program, administrator, api_source):
    program = _live(new_program())
    # Budget 4,000 a month; 10 days in: 1,290 to date; 200 spent is under-pacing.
    services.import_metrics(
        by=administrator,
        source=api_source,
        rows=rows(program, ("sem", "2026-12-05", "spend", "200", "USD")),
        today=TODAY,
    )
    first = sweeps.check_pacing(today=date(2026, 12, 11))
    again = sweeps.check_pacing(today=date(2026, 12, 12))
    assert (first.warned, again.warned) == (1, 0)
    episode = PacingEpisode.objects.get(program=program)
    assert episode.state == "under" and episode.message is not None
    found = queries.pacing_by_client([program.client_id], as_of=date(2026, 12, 10))
    assert found == {program.client_id: pytest.approx(200 / (4000 / 31 * 10))}


def test_attainment_is_direction_aware_and_set_based(
    new_program, administrator, account_manager, api_source, django_assert_max_num_queries
):
    program = _live(new_program())
    sem = ServiceLine.objects.get(code="sem")
    services.set_target(
        by=account_manager,
        program=program,
        service=sem,
        kpi=Kpi.objects.get(key="clicks"),
        target=100,
        today=TODAY,
    )
    services.set_target(
        by=account_manager,
        program=program,
        service=sem,
        kpi=Kpi.objects.get(key="cpl"),
        target=20,
        today=TODAY,
    )
    services.import_metrics(
        by=administrator,
        source=api_source,
        rows=rows(
            program,
            ("sem", "2026-12-10", "clicks", "150", ""),
            ("sem", "2026-12-10", "leads", "10", ""),
            ("sem", "2026-12-10", "spend", "400", "USD"),
        ),
        today=TODAY,
    )
    with django_assert_max_num_queries(5):
        found = queries.kpi_attainment_by_client([program.client_id, 424242], as_of=TODAY)
    # clicks 150 / 100 = 1.5; CPL 40 against 20 (lower is better) = 0.5
    assert found == {program.client_id: pytest.approx(1.0)}
    summary = queries.program_kpi_summary(program, as_of=TODAY)
    assert [round(s.attainment or 0, 2) for s in summary] == [1.5, 0.5]


def test_the_monthly_report_is_sent_once_even_when_the_worker_dies_mid_send(
    new_program, administrator, api_source, monkeypatch
):
    program = _live(new_program(start_date=date(2026, 11, 1)))
    services.import_metrics(
        by=administrator,
        source=api_source,
        rows=rows(program, ("sem", "2026-11-10", "spend", "900", "USD")),
        today=TODAY,
    )
    real = sweeps.queue_message

    def dies(**kwargs):
        real(**kwargs)
        raise SystemExit("worker killed")

    monkeypatch.setattr(sweeps, "queue_message", dies)
    with pytest.raises(SystemExit):
        sweeps.send_reports(today=date(2026, 12, 5))
    assert not ReportSend.objects.exists() and not Message.objects.exists()
    monkeypatch.setattr(sweeps, "queue_message", real)
    first = sweeps.send_reports(today=date(2026, 12, 5))
    second = sweeps.send_reports(today=date(2026, 12, 6))
    assert (first.sent, second.sent) == (1, 0)
    send = ReportSend.objects.get(program=program, period=date(2026, 11, 1))
    assert send.message_id is not None
    message = Message.objects.get(pk=send.message_id)
    assert message.attachments.get().content_type == "application/pdf"
    assert bytes(message.attachments.get().content).startswith(b"%PDF")


def test_report_pages_staff_and_portal(client, new_program, account_manager):
    program = new_program()
    client.force_login(account_manager)
    page = client.get(f"/performance/programs/{program.pk}/report")
    assert page.status_code == 200 and b"<svg" in page.content
    pdf = client.get(f"/performance/programs/{program.pk}/report.pdf")
    assert pdf.content.startswith(b"%PDF")
    link = services_issue_link(program, account_manager)
    from retainops.onboarding.portal import token_for

    client.logout()
    portal = client.get(f"/portal/{token_for(link)}/report")
    assert portal.status_code == 200 and b"KPIs against targets" in portal.content
    assert client.get("/portal/forged/report").status_code == 404


def services_issue_link(program, by):
    from retainops.onboarding.services import issue_portal_link

    return issue_portal_link(by=by, program=program)


def test_the_api_takes_metrics_and_names_bad_rows(client, new_program, administrator):
    program = new_program()
    client.force_login(administrator)
    good = {
        "source": "api",
        "rows": [
            {
                "program": program.pk,
                "service": "sem",
                "date": "2026-01-05",
                "metric": "clicks",
                "value": 4,
            },
        ],
    }
    answer = client.post("/api/v1/metrics", good, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["created"] == 1
    bad = {
        "source": "api",
        "rows": [
            {
                "program": program.pk,
                "service": "sem",
                "date": "2999-01-05",
                "metric": "clicks",
                "value": 4,
            },
        ],
    }
    refused = client.post("/api/v1/metrics", bad, content_type="application/json")
    assert refused.status_code == 422 and "rows.1.date" in refused.json()["errors"]


def test_the_feedback_agenda_shows_the_programs_kpis_in_place_of_the_placeholder(
    new_program, administrator, account_manager, api_source
):
    from types import SimpleNamespace

    from retainops.voice.agenda import sections

    section = next(s for s in sections() if s.key == "performance")
    program = _live(new_program())
    series = SimpleNamespace(program=program, program_id=program.pk, client_id=program.client_id)
    session = SimpleNamespace(series=series, starts_at=datetime(2026, 12, 12, 9, tzinfo=UTC))
    assert section.build(session) == {
        "placeholder": True,
        "note": "No KPI targets are agreed for this client yet.",
    }
    services.set_target(
        by=account_manager,
        program=program,
        service=ServiceLine.objects.get(code="sem"),
        kpi=Kpi.objects.get(key="clicks"),
        target=100,
        today=TODAY,
    )
    services.import_metrics(
        by=administrator,
        source=api_source,
        rows=rows(program, ("sem", "2026-12-10", "clicks", "150", "")),
        today=TODAY,
    )
    built = section.build(session)
    assert built is not None
    assert [(row["kpi"].lower(), row["target"], row["attainment"]) for row in built["kpis"]] == [
        ("clicks", 100.0, 1.5)
    ]
