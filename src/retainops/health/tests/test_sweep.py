"""The daily sweep: one snapshot per client and day, resumable, a band drop alerts once."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from retainops.cadence.choices import ContactChannel, TouchpointSource
from retainops.cadence.models import Touchpoint
from retainops.clients.testing import ClientFactory
from retainops.health.models import BandAlert, HealthSnapshot, Scorecard
from retainops.health.services import MeasureSpec, save_scorecard_version
from retainops.health.sweep import drain, sweep
from retainops.messaging.models import Message

DAY1 = datetime(2026, 3, 2, 9, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_a_killed_run_resumes_without_doubling_a_day() -> None:
    clients = ClientFactory.create_batch(5)
    first = sweep(now=DAY1, batch=2)
    assert first.snapshots == 2
    drain(now=DAY1)
    drain(now=DAY1)
    assert HealthSnapshot.objects.filter(day=DAY1.date()).count() == len(clients)


def test_a_client_falling_a_band_alerts_once() -> None:
    client: Any = ClientFactory()
    Touchpoint.objects.create(
        client=client,
        channel=ContactChannel.CALL,
        at=DAY1 - timedelta(days=1),
        source=TouchpointSource.LOGGED,
    )
    drain(now=DAY1)
    later = DAY1 + timedelta(days=60)
    drain(now=later)
    drain(now=later)
    before, after = HealthSnapshot.objects.filter(client=client).order_by("day")
    assert after.score < before.score
    words = [c["words"] for c in after.contributions]
    assert "no touchpoint for 61 days" in words
    assert BandAlert.objects.filter(client=client).count() == (
        1 if after.band != before.band else 0
    )
    assert Message.objects.filter(cause__startswith="health band").count() <= 1


def test_changing_the_scorecard_keeps_past_snapshots_on_their_version(
    django_user_model: type,
) -> None:
    from retainops.core.testing import UserFactory

    admin = UserFactory(roles=["administrator"])
    ClientFactory()
    drain(now=DAY1)
    card = Scorecard.objects.get()
    old = card.current
    new = save_scorecard_version(
        scorecard=card,
        by=admin,
        green_from=90,
        amber_from=60,
        measures=[MeasureSpec("days_since_touch", 1, 7, 30)],
    )
    drain(now=DAY1 + timedelta(days=1))
    first, second = HealthSnapshot.objects.order_by("day")
    assert first.version == old and second.version == new


def test_a_bad_scorecard_is_refused_naming_the_field() -> None:
    from django.core.exceptions import ValidationError

    from retainops.core.testing import UserFactory

    admin = UserFactory(roles=["administrator"])
    card = Scorecard.objects.get()
    versions = card.versions.count()
    with pytest.raises(ValidationError) as error:
        save_scorecard_version(
            scorecard=card,
            by=admin,
            green_from=40,
            amber_from=60,
            measures=[MeasureSpec("days_since_touch", 1, 7, 30)],
        )
    assert "green_from" in str(error.value)
    assert card.versions.count() == versions


def test_an_outsider_may_not_change_a_scorecard() -> None:
    from django.core.exceptions import PermissionDenied

    from retainops.core.testing import UserFactory

    with pytest.raises(PermissionDenied):
        save_scorecard_version(
            scorecard=Scorecard.objects.get(),
            by=UserFactory(),
            green_from=80,
            amber_from=50,
            measures=[MeasureSpec("days_since_touch", 1, 7, 30)],
        )
