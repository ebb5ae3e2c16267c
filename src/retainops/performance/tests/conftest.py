"""Fixtures for performance: the onboarding client and programs, and a helper that makes
programs with metrics for the comparable-program quartiles."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from retainops.clients.models import ServiceLine
from retainops.onboarding.models import Program
from retainops.onboarding.services import Line, create_program
from retainops.onboarding.tests.conftest import (  # noqa: F401
    DISPLAY_AND_SEM,
    creative_director,
    harbor,
    new_program,
    onboarding,
)
from retainops.performance.models import MetricSource, MetricValue
from retainops.playbooks.tests.conftest import (  # noqa: F401
    csm,
    ops_lead,
    reference_data,
    sales_rep,
    team_lead,
)


@pytest.fixture
def api_source() -> MetricSource:
    return MetricSource.objects.get(key="api")


@pytest.fixture
def peer(harbor, sales_rep, api_source) -> Callable[..., Program]:
    """A past SEM program of the same client (same industry and band) with `clicks` over
    its first 90 days totalling `clicks` and impressions 10,000."""

    def make(clicks: int, name: str = "Past") -> Program:
        sem = ServiceLine.objects.get(code="sem")
        program = create_program(
            by=sales_rep,
            client=harbor,
            lines=[Line(sem, Decimal("1500.00"))],
            details={},
            name=name,
            start_date=date(2025, 1, 1),
            end_date=date(2025, 12, 31),
        )
        MetricValue.objects.create(
            program=program,
            service=sem,
            source=api_source,
            date=date(2025, 1, 10),
            metric="clicks",
            value=clicks,
        )
        MetricValue.objects.create(
            program=program,
            service=sem,
            source=api_source,
            date=date(2025, 1, 1) + timedelta(days=100),
            metric="clicks",
            value=99999,
        )
        return program

    return make
