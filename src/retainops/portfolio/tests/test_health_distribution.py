"""The portfolio's health distribution: the clients of each unit the person sees by band
on the latest snapshot day, drawn as a chart with its table."""

from datetime import UTC, datetime

import pytest

from retainops.clients.testing import ClientFactory
from retainops.health.queries import band_distribution
from retainops.health.sweep import drain

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_each_unit_seen_is_counted_by_band_and_drawn(client, account_manager, north, south):
    ClientFactory.create_batch(3, business_unit=north)
    ClientFactory.create_batch(2, business_unit=south)
    drain(now=DAY)

    seen = band_distribution(account_manager)
    client.force_login(account_manager)
    page = client.get("/portfolio/").content.decode()

    assert list(seen) == [north.name]
    assert sum(seen[north.name].values()) == 3
    assert "Clients by health band" in page and "<svg" in page
    assert south.name not in page.split('id="health-distribution"')[1]


def test_before_any_snapshot_the_section_says_why_it_is_empty(client, account_manager, north):
    ClientFactory.create(business_unit=north)
    client.force_login(account_manager)

    page = client.get("/portfolio/").content.decode()

    assert band_distribution(account_manager) == {}
    assert "No health snapshot yet" in page
