"""The demo contact plans: every served demo client has a plan and two years behind it,
and some account managers fall behind."""

import pytest
from django.utils import timezone

from retainops.cadence import queries
from retainops.cadence.demo import seed_cadence
from retainops.cadence.models import Occurrence, PlanItem, Touchpoint
from retainops.clients import demo
from retainops.core.models import User

pytestmark = pytest.mark.django_db


def test_every_served_demo_client_has_a_plan_with_two_years_of_history():
    demo.seed(clients=16)
    lines = seed_cadence()
    served = demo.demo_clients().exclude(status="cancelled")
    assert set(PlanItem.objects.values_list("client_id", flat=True)) == set(
        served.values_list("id", flat=True)
    )
    oldest = Touchpoint.objects.order_by("at").first()
    assert oldest is not None and (timezone.now() - oldest.at).days > 300
    assert Occurrence.objects.filter(state="missed").exists()
    assert Occurrence.objects.filter(state="done", touchpoint__isnull=False).exists()
    managers = User.objects.filter(pk__in=Occurrence.objects.values("assignee_id").distinct())
    rates = [queries.adherence(m, 90).rate or 0 for m in managers]
    assert min(rates) < 0.6 < max(rates)
    assert "falling behind" in lines[0]
    assert seed_cadence() == ["Demo contact plans: already there."]
