"""Business-hour arithmetic: the clocks of service levels count only working time.

A `WorkingCalendar` says when a business unit works: its time zone, its working
weekdays, its opening and closing hours, and the country (and region) whose public
holidays it keeps, from the `holidays` library. Two operations follow from it:

- `add_business_minutes(start, minutes, pauses)`: the moment at which `minutes` of
  working time have passed since `start` (the due time of a service level);
- `business_minutes_between(start, end, pauses)`: the working minutes from `start`
  to `end` (how much of a service level is used).

`pauses` are intervals during which the clock stands still whatever the calendar
says (a complaint waiting on the client); an open pause has no end.

Steps of both operations:
  1. Walk the calendar day by day in the unit's own time zone from `start`, skipping
     days that are not working days or are public holidays.
  2. Each working day gives one interval [opening, closing], converted to UTC (so a
     change to or from summer time is counted as the wall clock says), cut at `start`.
  3. Remove the pauses from the interval, leaving zero or more pieces.
  4. Count (or consume) the minutes of the pieces, in order, until `end` (or until the
     minutes are spent).

Pure Python: no Django, so it is tested alone and any app can call it.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

# Far enough to cover any service level; a calendar with no working time would
# otherwise walk forever.
MAX_DAYS_AHEAD = 3 * 366
MINUTE = timedelta(minutes=1)

Interval = tuple[datetime, datetime]
Pause = tuple[datetime, datetime | None]


class CalendarError(ValueError):
    """A calendar that cannot be used, naming the field that is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field_name = field_name
        self.message = message


@dataclass(frozen=True)
class WorkingCalendar:
    """When a business unit works. `working_days` holds ISO weekdays (1 = Monday)."""

    time_zone: str = "UTC"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    opens_at: time = time(9)
    closes_at: time = time(17)
    holiday_country: str = ""
    holiday_subdivision: str = ""

    def __post_init__(self) -> None:
        problems = calendar_problems(
            time_zone=self.time_zone,
            working_days=self.working_days,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
        )
        if problems:
            raise problems[0]

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        if not self.holiday_country:
            return None
        return holidays.country_holidays(
            self.holiday_country, subdiv=self.holiday_subdivision or None
        )

    def is_working_day(self, day: date) -> bool:
        if day.isoweekday() not in self.working_days:
            return False
        return self._holidays is None or day not in self._holidays

    def holiday_name(self, day: date) -> str | None:
        return None if self._holidays is None else self._holidays.get(day)

    def day_interval(self, day: date) -> Interval:
        """The working hours of `day`, in UTC."""
        opens = datetime.combine(day, self.opens_at, tzinfo=self.zone)
        closes = datetime.combine(day, self.closes_at, tzinfo=self.zone)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def working_intervals(self, start: datetime) -> Iterator[Interval]:
        """Working hours from `start` on, in order, the first one cut at `start`."""
        start = _aware(start)
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_working_day(day):
                opens, closes = self.day_interval(day)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def add_business_minutes(
        self, start: datetime, minutes: float, pauses: Iterable[Pause] = ()
    ) -> datetime:
        """The moment `minutes` of working time after `start`, the pauses not counted.

        A clock that starts outside working hours begins at the next opening; zero
        minutes gives that opening (the first working instant from `start`)."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        left = timedelta(minutes=minutes)
        stops = _merged(pauses)
        for opens, closes in self.working_intervals(start):
            for piece_start, piece_end in _without(opens, closes, stops):
                length = piece_end - piece_start
                if length >= left:
                    return piece_start + left
                left -= length
        raise ValueError("no working time within reach: check the calendar and the pauses")

    def business_minutes_between(
        self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
    ) -> float:
        """Working minutes from `start` to `end`, the pauses not counted (0 if `end` is
        not after `start`)."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0.0
        stops = _merged(pauses)
        total = timedelta()
        for opens, closes in self.working_intervals(start):
            if opens >= end:
                break
            for piece_start, piece_end in _without(opens, min(closes, end), stops):
                total += piece_end - piece_start
        return total / MINUTE


def calendar_problems(
    *,
    time_zone: str,
    working_days: Iterable[int],
    opens_at: time,
    closes_at: time,
    holiday_country: str = "",
    holiday_subdivision: str = "",
) -> list[CalendarError]:
    """Everything wrong with a calendar's values, each naming its field (empty: usable)."""
    problems = []
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(CalendarError("time_zone", f"Unknown time zone {time_zone!r}."))
    days = set(working_days)
    if not days or not days <= set(range(1, 8)):
        problems.append(
            CalendarError("working_days", "Give at least one weekday, from 1 (Monday) to 7.")
        )
    if closes_at <= opens_at:
        problems.append(CalendarError("closes_at", "Closing must come after opening."))
    if holiday_country:
        problems.extend(_holiday_problems(holiday_country, holiday_subdivision))
    return problems


def _holiday_problems(country: str, subdivision: str) -> list[CalendarError]:
    supported = holidays.list_supported_countries()
    if country not in supported:
        return [CalendarError("holiday_country", f"No public holidays known for {country!r}.")]
    if subdivision and subdivision not in supported[country]:
        return [
            CalendarError("holiday_subdivision", f"{subdivision!r} is not a region of {country}.")
        ]
    return []


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(UTC)


def _merged(pauses: Iterable[Pause]) -> list[Interval]:
    """Pauses sorted and joined where they overlap; an open pause runs to the far future."""
    far = datetime.max.replace(tzinfo=UTC)
    ordered = sorted((_aware(a), _aware(b) if b else far) for a, b in pauses)
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _without(start: datetime, end: datetime, stops: list[Interval]) -> Iterator[Interval]:
    """The pieces of [start, end) that no stop covers."""
    cursor = start
    for stop_start, stop_end in stops:
        if stop_end <= cursor:
            continue
        if stop_start >= end:
            break
        if stop_start > cursor:
            yield cursor, stop_start
        cursor = max(cursor, stop_end)
        if cursor >= end:
            return
    if cursor < end:
        yield cursor, end
