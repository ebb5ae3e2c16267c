"""Business-hour arithmetic on its own: working days and hours, public holidays, time
zones and pauses."""

from datetime import UTC, datetime, time

import pytest

from retainops.complaints.business_time import CalendarError, WorkingCalendar

LONDON = WorkingCalendar(
    time_zone="Europe/London",
    working_days=frozenset({1, 2, 3, 4, 5}),
    opens_at=time(9),
    closes_at=time(17),
    holiday_country="GB",
    holiday_subdivision="ENG",
)
EIGHT_HOURS = 8 * 60


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON.zone)


def test_friday_afternoon_before_a_bank_holiday_is_due_on_tuesday_afternoon():
    # Friday 22 May 2026, 15:00; Monday 25 May is the Spring bank holiday.
    raised = london(2026, 5, 22, 15, 0)

    due = LONDON.add_business_minutes(raised, EIGHT_HOURS)

    # Two hours on Friday, none at the weekend or on the holiday, six on Tuesday.
    assert due == london(2026, 5, 26, 15, 0)
    assert LONDON.business_minutes_between(raised, london(2026, 5, 25, 16, 59)) == 120
    assert LONDON.business_minutes_between(raised, london(2026, 5, 26, 14, 59)) == 479
    assert LONDON.business_minutes_between(raised, due) == EIGHT_HOURS


def test_a_clock_started_out_of_hours_starts_at_the_next_opening():
    saturday_night = london(2026, 5, 23, 22, 0)

    assert LONDON.add_business_minutes(saturday_night, 0) == london(2026, 5, 26, 9, 0)
    assert LONDON.add_business_minutes(saturday_night, 30) == london(2026, 5, 26, 9, 30)


def test_waiting_on_the_client_stops_the_clock():
    raised = london(2026, 6, 1, 9, 0)  # a Monday
    waiting = (london(2026, 6, 1, 11, 0), london(2026, 6, 2, 11, 0))

    due = LONDON.add_business_minutes(raised, EIGHT_HOURS, pauses=[waiting])

    # Two hours Monday, the pause takes the rest of Monday and Tuesday morning.
    assert due == london(2026, 6, 2, 17, 0)
    assert LONDON.business_minutes_between(raised, london(2026, 6, 2, 12, 0), [waiting]) == 180


def test_an_open_pause_holds_the_clock_until_it_ends():
    raised = london(2026, 6, 1, 9, 0)
    still_waiting = (london(2026, 6, 1, 10, 0), None)

    assert LONDON.business_minutes_between(raised, london(2026, 6, 8, 9, 0), [still_waiting]) == 60
    with pytest.raises(ValueError, match="no working time"):
        LONDON.add_business_minutes(raised, 120, pauses=[still_waiting])


def test_overlapping_pauses_are_counted_once():
    raised = london(2026, 6, 1, 9, 0)
    pauses = [
        (london(2026, 6, 1, 10, 0), london(2026, 6, 1, 12, 0)),
        (london(2026, 6, 1, 11, 0), london(2026, 6, 1, 13, 0)),
    ]

    assert LONDON.business_minutes_between(raised, london(2026, 6, 1, 17, 0), pauses) == 300


def test_hours_are_the_units_own_across_a_change_of_summer_time():
    # Clocks go back in London on Sunday 25 October 2026.
    friday = london(2026, 10, 23, 16, 0)

    due = LONDON.add_business_minutes(friday, 120)

    assert due == london(2026, 10, 26, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


def test_a_weekend_working_unit_counts_its_own_days():
    gulf = WorkingCalendar(
        time_zone="Asia/Dubai", working_days=frozenset({1, 2, 3, 4, 5, 6}), closes_at=time(13)
    )
    saturday = datetime(2026, 6, 6, 12, 0, tzinfo=gulf.zone)

    assert gulf.add_business_minutes(saturday, 120) == datetime(2026, 6, 8, 10, 0, tzinfo=gulf.zone)


def test_no_time_passes_backwards():
    assert LONDON.business_minutes_between(london(2026, 6, 2, 10), london(2026, 6, 1, 10)) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"working_days": frozenset()}, "working_days"),
        ({"working_days": frozenset({0, 8})}, "working_days"),
        ({"opens_at": time(17), "closes_at": time(9)}, "closes_at"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_country": "GB", "holiday_subdivision": "ATLANTIS"}, "holiday_subdivision"),
    ],
)
def test_an_unusable_calendar_is_refused_naming_its_field(changes, field):
    with pytest.raises(CalendarError) as refused:
        WorkingCalendar(**changes)
    assert refused.value.field_name == field


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="aware"):
        LONDON.add_business_minutes(datetime(2026, 6, 1, 9), 10)
