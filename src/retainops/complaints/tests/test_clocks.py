"""Service-level clocks with the clock moved: business hours and bank holidays, pauses
while waiting on the client, each notice told once, and a worker killed mid-sweep."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from retainops.complaints import notices, services
from retainops.complaints.clocks import Clock, read_clock
from retainops.complaints.models import ClockTimer, Complaint
from retainops.messaging.models import Message

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def notices_about(complaint: Complaint) -> list[tuple[str, list[str]]]:
    """(level, addresses) of every notice queued about the complaint, oldest first."""
    found = Message.objects.filter(cause__startswith=f"complaint {complaint.pk}:").order_by("id")
    return [
        (m.cause.rsplit(" ", 1)[1], sorted(r.address for r in m.recipients.all())) for m in found
    ]


def tick(clock, moment: datetime) -> None:
    clock.move_to(moment)
    notices.fire_all_due(now=moment)


@pytest.fixture
def friday_complaint(raise_one, clock, account_manager, team_lead, department_manager):
    """Critical (one business day to resolve), raised on Friday 22 May 2026 at 15:00,
    before the Spring bank holiday on Monday; answered at once."""
    clock.move_to(at(2026, 5, 22, 15))
    complaint = raise_one(severity="critical")
    services.acknowledge_complaint(complaint=complaint, by=account_manager)
    return complaint


def test_a_friday_complaint_before_a_bank_holiday_breaches_on_tuesday_not_before(
    friday_complaint, clock, account_manager, team_lead, department_manager
):
    complaint = friday_complaint
    # Two hours on Friday, nothing at the weekend or on the holiday, six on Tuesday.
    assert complaint.resolution_due_at == at(2026, 5, 26, 15)

    tick(clock, at(2026, 5, 25, 16))  # the holiday, a day after "eight hours later"
    assert notices_about(complaint) == []
    assert read_clock(complaint, Clock.RESOLUTION, at(2026, 5, 25, 16)).state == "running"

    tick(clock, at(2026, 5, 26, 13))  # 75 % used: the owner is warned
    assert notices_about(complaint) == [("warning", [account_manager.email])]

    tick(clock, at(2026, 5, 26, 14, 59))
    assert len(notices_about(complaint)) == 1

    tick(clock, at(2026, 5, 26, 15))  # the breach: the team lead is told
    assert notices_about(complaint)[1] == ("breach", [team_lead.email])
    reading = read_clock(complaint, Clock.RESOLUTION, at(2026, 5, 26, 15))
    assert (reading.state, reading.left_minutes) == ("breached", 0)

    tick(clock, at(2026, 5, 27, 11))  # 150 %: the department manager
    assert notices_about(complaint)[2] == ("second_level", [department_manager.email])


def test_each_notice_is_told_once_however_often_the_worker_passes(friday_complaint, clock):
    for _ in range(3):
        tick(clock, at(2026, 5, 28, 12))

    levels = [level for level, _ in notices_about(friday_complaint)]
    assert levels == ["warning", "breach", "second_level"]


def test_waiting_on_the_client_stops_the_clock(friday_complaint, clock, account_manager):
    complaint = friday_complaint
    clock.move_to(at(2026, 5, 26, 10))  # Tuesday, 180 of 480 minutes used
    services.start_work(complaint=complaint, by=account_manager)
    services.wait_on_client(complaint=complaint, by=account_manager)
    assert complaint.resolution_due_at is None

    tick(clock, at(2026, 6, 3, 16))  # a week on: nothing is told while it waits
    assert notices_about(complaint) == []
    reading = read_clock(complaint, Clock.RESOLUTION, at(2026, 6, 3, 16))
    assert (reading.state, reading.used_minutes) == ("paused", 180)

    clock.move_to(at(2026, 6, 4, 9))  # the client answers on Thursday morning
    services.resume_work(complaint=complaint, by=account_manager)
    assert complaint.resolution_due_at == at(2026, 6, 4, 14)

    tick(clock, at(2026, 6, 4, 13, 59))
    assert [level for level, _ in notices_about(complaint)] == ["warning"]
    tick(clock, at(2026, 6, 4, 14))
    assert [level for level, _ in notices_about(complaint)] == ["warning", "breach"]


def test_resolving_in_time_drops_what_the_clock_would_have_said(
    friday_complaint, clock, account_manager
):
    from retainops.complaints.models import RootCause

    clock.move_to(at(2026, 5, 26, 10))
    services.resolve_complaint(
        complaint=friday_complaint,
        by=account_manager,
        root_cause=RootCause.objects.get(code="process-gap"),
        resolution="Report resent with commentary.",
    )

    tick(clock, at(2026, 6, 30, 12))
    assert notices_about(friday_complaint) == []
    assert read_clock(friday_complaint, Clock.RESOLUTION, at(2026, 6, 30, 12)).state == "met"


def test_the_response_clock_tells_the_team_lead_when_nobody_answers(
    raise_one, clock, team_lead, account_manager
):
    clock.move_to(at(2026, 6, 1, 9))
    complaint = raise_one(severity="high")  # two business hours to answer

    tick(clock, at(2026, 6, 1, 11))

    assert [level for level, _ in notices_about(complaint)] == ["warning", "breach"]
    assert read_clock(complaint, Clock.RESPONSE, at(2026, 6, 1, 11)).state == "breached"
    services.acknowledge_complaint(complaint=complaint, by=account_manager)
    assert not ClockTimer.objects.filter(
        complaint=complaint, clock="response", fired_at__isnull=True, dropped_at__isnull=True
    ).exists()


class WorkerKilled(BaseException):
    """The process dies: nothing below catches it, as nothing catches SIGKILL."""


def test_a_worker_killed_mid_sweep_sends_nothing_twice_and_misses_nothing(
    raise_one, clock, monkeypatch, team_lead
):
    clock.move_to(at(2026, 6, 1, 9))
    first, second = raise_one(severity="high"), raise_one(severity="high")
    clock.move_to(at(2026, 6, 1, 11))
    real_fire = notices.fire
    fired: list[int] = []

    def dies_on_the_third(timer, now):
        if len(fired) == 2:
            raise WorkerKilled
        fired.append(timer.pk)
        return real_fire(timer, now)

    monkeypatch.setattr(notices, "fire", dies_on_the_third)
    with pytest.raises(WorkerKilled):
        notices.fire_due(now=at(2026, 6, 1, 11))
    # The batch's transaction died with it: no notice queued, no timer marked.
    assert Message.objects.count() == 0
    assert ClockTimer.objects.filter(fired_at__isnull=False).count() == 0

    monkeypatch.setattr(notices, "fire", real_fire)
    notices.fire_all_due(now=at(2026, 6, 1, 11))
    notices.fire_all_due(now=at(2026, 6, 1, 11))
    for complaint in (first, second):
        assert [level for level, _ in notices_about(complaint)] == ["warning", "breach"]
