"""Relative times ("in 3 h", "2 days late", "5 min ago") with the exact time on hover,
in the signed-in person's own time zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retainops.core.services import update_user
from retainops.core.templatetags.when import ago_text, due, due_text
from retainops.core.testing import UserFactory

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(seconds=20), "due now"),
        (timedelta(minutes=45), "in 45 min"),
        (timedelta(hours=3, minutes=10), "in 3 h"),
        (timedelta(days=1, hours=2), "in 1 day"),
        (-timedelta(minutes=5), "5 min late"),
        (-timedelta(days=2, hours=3), "2 days late"),
    ],
)
def test_due_times_read_against_now(offset, text):
    assert due_text(NOW + offset, NOW) == text


def test_past_moments_read_as_ago():
    assert ago_text(NOW - timedelta(hours=5), NOW) == "5 h ago"
    assert ago_text(NOW, NOW) == "just now"
    assert ago_text(NOW + timedelta(days=3), NOW) == "in 3 days"


def test_the_exact_time_is_on_hover_in_the_active_time_zone(time_machine):
    time_machine.move_to(NOW)
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        html = due(NOW + timedelta(hours=3))
    assert 'title="2026-12-04 21:00 JST"' in html
    assert f'datetime="{(NOW + timedelta(hours=3)).isoformat()}"' in html
    assert ">in 3 h</time>" in html
    assert due(None) == ""


@pytest.mark.django_db
def test_an_unknown_time_zone_is_refused_and_nothing_changes():
    admin = UserFactory.create(username="admin_tz", roles=["administrator"])
    person = UserFactory.create(username="someone")
    with pytest.raises(ValidationError) as refused:
        update_user(by=admin, user=person, data={"time_zone": "Mars/Olympus"})
    assert "time_zone" in refused.value.message_dict
    person.refresh_from_db()
    assert person.time_zone == ""
