"""Pages: calendar with its empty state, the heat map showing a gap, ready refused on the page."""

from retainops.drops.tests.conftest import DROP_AT


def test_calendar_empty_state(client, account_manager):
    client.force_login(account_manager)
    page = client.get("/drops/?day=2026-12-01")
    assert page.status_code == 200 and "No drops in this month" in page.text


def test_calendar_and_staffing_show_the_drop_and_its_gap(client, account_manager, plan, roster):
    plan(channel="tv", audience_size=200_000, expected_response_rate=0.01)
    roster(2, DROP_AT, hours=1)
    client.force_login(account_manager)
    assert "Winter mailer" in client.get("/drops/?view=week&day=2026-12-01").text
    staffing = client.get("/staffing/?day=2026-12-01")
    assert "<svg" in staffing.text and "half hours short of agents" in staffing.text


def test_ready_refused_on_the_page(client, account_manager, plan):
    drop = plan()
    client.force_login(account_manager)
    page = client.post(f"/drops/{drop.pk}/ready/", follow=True)
    assert "Gates still open" in page.text


def test_planning_page_refused_without_the_capability(client, outsider, db):
    from retainops.core.models import User

    nobody = User.objects.create_user(username="norole", password="x")
    client.force_login(nobody)
    assert client.get("/drops/plan/").status_code == 403
