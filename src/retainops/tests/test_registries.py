"""What the apps register with the layers below them, as the product starts: the
worker's due-work sources in the order a pass needs, the client page's panels, the
navigation's badges (computed only when drawn) and the administration sections."""

from datetime import UTC, datetime

import pytest

from retainops.clients import panels
from retainops.core import due_work, imports, navigation
from retainops.core.administration import sections


def test_the_worker_fires_timers_before_it_delivers_so_a_reminder_leaves_in_the_same_pass():
    names = [source.name for source in due_work.sources()]

    assert names.index("timers") < names.index("messages")


def test_the_apps_register_their_imports_and_the_worker_runs_them_after_the_messages():
    assert [kind.kind for kind in imports.import_kinds()] == ["clients", "contracts", "metrics"]
    names = [source.name for source in due_work.sources()]
    assert names.index("messages") < names.index("imports") < names.index("audience")


@pytest.mark.django_db
def test_one_pass_sweeps_every_source_once_and_reports_each():
    swept = due_work.sweep_all(datetime(2026, 12, 2, 9, tzinfo=UTC), worker="test-worker")

    assert [source.name for source, _ in swept] == [s.name for s in due_work.sources()]
    assert all(report.handled == 0 for _, report in swept)


def test_the_client_page_shows_each_app_s_panel_in_its_place():
    names = [panel.name for panel in panels.panels()]

    assert {"programs", "change_requests", "processes", "timeline", "messages"} <= set(names)
    orders = [panel.order for panel in panels.panels()]
    assert orders == sorted(orders)


def test_a_badge_costs_nothing_until_the_page_draws_it(monkeypatch: pytest.MonkeyPatch):
    counted: list[str] = []
    monkeypatch.setattr(navigation, "_badges", {})

    def count(user: str) -> dict[str, int]:
        counted.append(user)
        return {"due": 3}

    navigation.register_badge("mine", count)

    badges = navigation.badges_for("amy")
    assert counted == []
    assert badges["mine"]["due"] == 3
    assert counted == ["amy"]


def test_two_apps_cannot_register_one_badge_name(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(navigation, "_badges", {})
    navigation.register_badge("mine", lambda user: 1)

    with pytest.raises(ValueError, match="already registered"):
        navigation.register_badge("mine", lambda user: 2)


def test_the_administration_home_lists_the_sections_of_every_app_in_order():
    keys = [section.key for section in sections()]

    assert len(keys) == len(set(keys)) >= 5
    assert [s.order for s in sections()] == sorted(s.order for s in sections())
