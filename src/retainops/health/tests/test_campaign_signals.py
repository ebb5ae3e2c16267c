"""Campaign results read as health signals: KPI attainment against target and how far
this month's spend is off pace."""

from datetime import UTC, datetime

import pytest

from retainops.clients.models import ServiceLine
from retainops.health.signals import provider, read_signals
from retainops.performance import services
from retainops.performance.models import Kpi
from retainops.performance.tests.conftest import *  # noqa: F403
from retainops.performance.tests.test_performance import TODAY, _live, rows

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 10, 18, tzinfo=UTC)


def test_attainment_and_pacing_read_as_signals_with_their_words(
    new_program, administrator, account_manager, api_source
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
    services.import_metrics(
        by=administrator,
        source=api_source,
        rows=rows(
            program,
            ("sem", "2026-12-05", "clicks", "80", ""),
            ("sem", "2026-12-05", "spend", "200", "USD"),
        ),
        today=TODAY,
    )
    client = program.client_id

    found = read_signals(["kpi_attainment", "pacing_gap"], [client, 424242], as_of=AT)

    assert found["kpi_attainment"] == {client: pytest.approx(0.8), 424242: None}
    # Budget 4,000 a month; 10 days in, 1,290 to date: 200 spent is 84 % under pace.
    assert found["pacing_gap"][client] == pytest.approx(1 - 200 / (4000 / 31 * 10))
    assert provider("kpi_attainment").describe(0.8) == "KPIs at 80% of target"
    assert provider("pacing_gap").describe(found["pacing_gap"][client]) == (
        "spend 84% off pace this month"
    )
    assert provider("pacing_gap").describe(None) == "no budget in flight this month"
    assert not provider("kpi_attainment").point_in_time
