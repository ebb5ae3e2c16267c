"""The client list's health column: the latest snapshot's badge, sorted by score and
filtered by band."""

from datetime import date, timedelta

import pytest

from retainops.clients.testing import ClientFactory
from retainops.health.models import HealthSnapshot, Scorecard

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


def _snapshot(client, score: float, band: str, day: date = TODAY) -> None:
    version = Scorecard.objects.get().current
    assert version is not None
    HealthSnapshot.objects.create(client=client, day=day, version=version, score=score, band=band)


def test_the_list_shows_the_latest_badge_sorts_by_score_and_filters_by_band(
    client, account_manager, north
):
    weak, strong, unknown = (
        ClientFactory.create(name=name, business_unit=north)
        for name in ("Zeta Weakling", "Alpha Stronghold", "Mid Newcomer")
    )
    _snapshot(weak, 80.0, "green", TODAY - timedelta(days=1))  # older: not shown
    _snapshot(weak, 31.0, "red")
    _snapshot(strong, 88.0, "green")
    client.force_login(account_manager)

    listed = client.get("/clients/", {"sort": "health"}).content.decode()
    reds = client.get("/clients/", {"health": "red"}).content.decode()

    assert 'class="badge badge-red" title="Health score">31<' in listed
    # Alphabetical order would be the reverse: the lowest score first, no score last.
    assert listed.index(weak.name) < listed.index(strong.name) < listed.index(unknown.name)
    assert weak.name in reds and strong.name not in reds and unknown.name not in reds
