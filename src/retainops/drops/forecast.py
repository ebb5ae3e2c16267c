"""Expected contacts per 30-minute interval, the agents they need, and the roster's gaps.

Steps of `week_staffing`:
  1. Every drop (not cancelled) whose responses reach into the week: its expected
     responses (audience x response rate) spread by its channel's profile over the
     half hours after it, split by answer channel.
  2. Sum over drops, per answer channel and interval.
  3. Per interval and answer channel, Erlang C (stats/erlang.py) with that channel's
     target: agents on the phones and people to schedule; summed over channels.
  4. Scheduled headcount: the shifts covering the interval.
  5. Gap = scheduled - needed (negative: short of people).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from retainops.drops.choices import AnswerChannel, DropState
from retainops.drops.models import INTERVAL, Drop, ResponseProfile, Shift, StaffingTarget
from retainops.stats.erlang import staff

WEEK = timedelta(days=7)
SLOTS = 7 * 48


@dataclass
class Interval:
    starts_at: datetime
    contacts: dict[str, float] = field(default_factory=dict)
    agents: int = 0
    needed: int = 0
    scheduled: int = 0

    @property
    def gap(self) -> int:
        return self.scheduled - self.needed


@dataclass
class WeekStaffing:
    starts_at: datetime
    intervals: list[Interval]

    @property
    def is_empty(self) -> bool:
        return not any(i.contacts for i in self.intervals)

    @property
    def short_intervals(self) -> list[Interval]:
        return [i for i in self.intervals if i.gap < 0]


def drop_curve(drop: Drop, profile: ResponseProfile) -> dict[str, list[tuple[datetime, float]]]:
    """The drop's expected contacts per answer channel and interval (from its instant)."""
    start = _floor(drop.drop_at)
    responses = drop.expected_responses
    shares = profile.shares()
    return {
        channel: [(start + INTERVAL * i, responses * part * s) for i, s in enumerate(shares)]
        for channel, part in profile.split().items()
        if part > 0
    }


def expected_contacts(
    drops: list[Drop], start: datetime, end: datetime
) -> dict[tuple[str, datetime], float]:
    profiles = {p.channel: p for p in ResponseProfile.objects.all()}
    total: dict[tuple[str, datetime], float] = defaultdict(float)
    for drop in drops:
        profile = profiles.get(drop.channel)
        if profile is None:
            continue
        for channel, points in drop_curve(drop, profile).items():
            for at, contacts in points:
                if start <= at < end:
                    total[(channel, at)] += contacts
    return total


def drops_reaching(start: datetime, end: datetime, *, unit_id: int | None = None) -> list[Drop]:
    """Drops whose responses may fall between start and end (the longest span back)."""
    longest = max(ResponseProfile.objects.values_list("span_hours", flat=True), default=0)
    drops = Drop.objects.exclude(state=DropState.CANCELLED).filter(
        drop_at__lt=end, drop_at__gte=start - timedelta(hours=longest)
    )
    if unit_id is not None:
        drops = drops.filter(program__client__business_unit_id=unit_id)
    return list(drops)


def week_staffing(
    start: datetime, *, unit_id: int | None = None, drops: list[Drop] | None = None
) -> WeekStaffing:
    """The week from `start` (floored to a half hour): see the steps above."""
    start = _floor(start)
    end = start + WEEK
    if drops is None:
        drops = drops_reaching(start, end, unit_id=unit_id)
    contacts = expected_contacts(drops, start, end)
    intervals = [Interval(starts_at=start + INTERVAL * i) for i in range(SLOTS)]
    by_start = {i.starts_at: i for i in intervals}
    for (channel, at), value in contacts.items():
        by_start[at].contacts[channel] = value
    targets = {t.answer_channel: t for t in StaffingTarget.objects.all()}
    for interval in intervals:
        for channel, value in interval.contacts.items():
            target = targets.get(channel) or _default_target(channel)
            result = staff(
                contacts=value,
                interval_minutes=30,
                aht_seconds=target.aht_seconds,
                target_answer_seconds=target.target_answer_seconds,
                service_level=target.service_level,
                max_occupancy=target.max_occupancy,
                shrinkage=target.shrinkage,
            )
            interval.agents += result.agents
            interval.needed += result.scheduled_agents
    _count_roster(intervals, start, end)
    return WeekStaffing(starts_at=start, intervals=intervals)


def _count_roster(intervals: list[Interval], start: datetime, end: datetime) -> None:
    shifts = Shift.objects.filter(
        Q(starts_at__lt=end) & Q(ends_at__gt=start), agent__is_active=True
    )
    for shift in shifts.values_list("starts_at", "ends_at"):
        for interval in intervals:
            if shift[0] <= interval.starts_at and interval.starts_at + INTERVAL <= shift[1]:
                interval.scheduled += 1


def _default_target(channel: str) -> StaffingTarget:
    return StaffingTarget(
        answer_channel=channel,
        aht_seconds=180 if channel == AnswerChannel.PHONE else 300,
        target_answer_seconds=20 if channel != AnswerChannel.EMAIL else 3600,
        service_level=0.8,
        max_occupancy=0.85,
        shrinkage=0.3,
    )


def _floor(at: datetime) -> datetime:
    return at.replace(minute=0 if at.minute < 30 else 30, second=0, microsecond=0)
