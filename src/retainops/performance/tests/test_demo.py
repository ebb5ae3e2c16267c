"""The demo tells its performance story: seasonal history, under-pacing, an over-promise."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max, Min, Sum
from django.utils import timezone

from retainops.onboarding.models import Program
from retainops.performance.choices import PaceState
from retainops.performance.demo import NAME_SUFFIX
from retainops.performance.models import MetricValue, PacingEpisode, ProgramKpi
from retainops.performance.queries import program_kpi_summary

pytestmark = pytest.mark.django_db


def test_the_demo_has_seasons_under_pacing_and_an_over_promise_missing_its_target():
    out = StringIO()
    call_command("seed_demo", clients=30, stdout=out)
    programs = Program.objects.filter(name__endswith=NAME_SUFFIX)
    assert programs.count() >= 3, out.getvalue()
    span = MetricValue.objects.aggregate(first=Min("date"), last=Max("date"))
    assert span["last"] - span["first"] >= timedelta(days=720)

    clicks = MetricValue.objects.filter(metric="clicks")
    november = clicks.filter(date__month=11).aggregate(t=Sum("value"))["t"]
    february = clicks.filter(date__month=2).aggregate(t=Sum("value"))["t"]
    assert november > february * 30 / 28

    under = PacingEpisode.objects.filter(program__in=programs, ended_on__isnull=True)
    assert set(under.values_list("state", flat=True)) == {PaceState.UNDER}
    assert under.count() == 2 and all(e.message_id for e in under)

    [promised] = ProgramKpi.objects.filter(program__in=programs, over_promise=True)
    assert promised.over_promise_reason and promised.comparables >= 2
    assert float(promised.target) > (promised.p75 or 0)
    as_of = timezone.localdate() - timedelta(days=1)
    [standing] = [
        s for s in program_kpi_summary(promised.program, as_of=as_of) if s.target_id == promised.pk
    ]
    assert standing.attainment is not None and standing.attainment < 0.8

    again = StringIO()
    call_command("seed_demo", clients=30, stdout=again)
    assert "Demo performance: already there." in again.getvalue()
    assert Program.objects.filter(name__endswith=NAME_SUFFIX).count() == programs.count()
