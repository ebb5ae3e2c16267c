"""The demo story of drops, as seed_demo writes it: a quarter of drops across clients, a
roster with a gap the heat map shows, one drop blocked by an untested phone menu, and
past drops with their actuals. Seeded once for the whole story (it is slow to write)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from retainops.drops import forecast, queries
from retainops.drops.choices import DropState, Gate
from retainops.drops.demo import BLOCKED_NAME
from retainops.drops.models import Drop
from retainops.playbooks.models import Run

pytestmark = pytest.mark.django_db


def test_the_demo_tells_the_drops_story():
    out = StringIO()
    call_command("seed_demo", clients=30, stdout=out)
    assert "Demo drops:" in out.getvalue()
    drops = Drop.objects.all()
    assert drops.values("program__client").distinct().count() >= 3
    first, last = drops.first(), drops.last()
    assert first is not None and last is not None
    assert last.drop_at - first.drop_at >= timedelta(days=80)

    # Past drops went out, with actual contacts that give each a MAPE.
    past = drops.filter(state=DropState.DROPPED)
    assert past.exists() and all(d.actuals.exists() for d in past)
    result = queries.result_of(past[0])
    assert result.actual_contacts > 0 and result.overall_mape is not None

    # The blocked drop: every gate passed but routing, whose test call was never made,
    # and its readiness playbook running.
    blocked = Drop.objects.get(name=BLOCKED_NAME)
    open_gates = [g for g in blocked.gates.all() if g.is_open]
    assert [g.gate for g in open_gates] == [Gate.ROUTING]
    assert open_gates[0].test_call_at is None
    assert Run.objects.filter(subject_type="drop", subject_id=blocked.pk).exists()

    # Its week's heat map shows the gap: the Wednesday afternoon without the late shift.
    local = timezone.localtime(blocked.drop_at)
    monday = local.replace(hour=0, minute=0) - timedelta(days=local.weekday())
    week = forecast.week_staffing(monday)
    wednesday_afternoon = [
        i
        for i in week.intervals
        if timezone.localtime(i.starts_at).weekday() == 2
        and 16 <= timezone.localtime(i.starts_at).hour < 20
    ]
    assert all(i.gap < 0 and i.scheduled == 0 for i in wednesday_afternoon)
    thursday_afternoon = [
        i
        for i in week.intervals
        if timezone.localtime(i.starts_at).weekday() == 3
        and 13 <= timezone.localtime(i.starts_at).hour < 15
    ]
    assert all(i.scheduled > 0 for i in thursday_afternoon)

    # Seeding again adds nothing.
    count = drops.count()
    again = StringIO()
    call_command("seed_demo", clients=30, stdout=again)
    assert "Demo drops: already there." in again.getvalue()
    assert Drop.objects.count() == count
