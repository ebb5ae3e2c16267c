"""The demo complaints tell their story: every status, clocks running, paused and
breached, improvement actions open and done, and a theme spreading that operations was
told of; seeding again adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from retainops.complaints.choices import ComplaintStatus
from retainops.complaints.clocks import clock_reading
from retainops.complaints.models import Complaint, ImprovementAction, Theme
from retainops.messaging.models import Message

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", clients=40, stdout=out)
    return out.getvalue()


def test_the_demo_tells_the_complaints_story():
    said = seed()

    assert "Demo complaints: 10 raised, 1 theme(s) spreading told to operations." in said
    now = timezone.now()
    complaints = list(Complaint.objects.select_related("client__business_unit"))
    assert {c.status for c in complaints} == set(ComplaintStatus.values)
    assert {clock_reading(c, now).state for c in complaints} == {
        "running",
        "paused",
        "breached",
        "met",
    }
    assert set(ImprovementAction.objects.values_list("state", flat=True)) == {"open", "done"}

    theme = Theme.objects.get(alerted_at__isnull=False)
    assert theme.complaints.values("client").distinct().count() >= 3
    assert Message.objects.filter(cause=f"complaint theme {theme.pk}").count() == 1

    assert "Demo complaints: already there." in seed()
    assert Complaint.objects.count() == len(complaints)
