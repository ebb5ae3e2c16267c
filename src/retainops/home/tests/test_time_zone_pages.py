"""Pages show times in the signed-in person's own time zone."""

from datetime import UTC, datetime, timedelta

import pytest

from retainops.core.testing import UserFactory
from retainops.home.models import Notification

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_each_person_reads_times_in_their_own_zone(client, time_machine):
    time_machine.move_to(NOW)
    person = UserFactory.create(username="tokyo", time_zone="Asia/Tokyo")
    Notification.objects.create(
        user=person, kind="notice", title="Report", url="/", created_at=NOW - timedelta(hours=2)
    )
    client.force_login(person)
    page = client.get("/notifications/").content.decode()
    assert 'title="2026-12-04 16:00 JST">2 h ago</time>' in page
    person.time_zone = ""
    person.save()
    assert 'title="2026-12-04 07:00 UTC"' in client.get("/notifications/").content.decode()
