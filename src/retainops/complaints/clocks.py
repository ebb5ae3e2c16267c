"""A complaint's two service-level clocks: where each stands, and when it tells someone.

The first-response clock runs from the moment the complaint is raised until someone
acknowledges it. The resolution clock runs from the same moment until it is resolved,
standing still while the complaint waits on the client (and between a resolution and a
reopening). Both count the business hours of the client's unit.

`clock_reading` says where a clock stands now (running, paused, breached or met, and the
business minutes left); `schedule_timers` writes, for each clock, the moments it warns
the owner, tells the team lead of the breach and the department manager at the second
level: one row per moment, due when the arithmetic says, with no due time while the
clock stands still, dropped once the clock stops first. It is called after every change
of status, and is idempotent: a moment already told is never scheduled again.
"""

from dataclasses import dataclass
from datetime import datetime

from retainops.complaints.business_time import Pause, WorkingCalendar
from retainops.complaints.choices import (
    CLOCK_STATE_COLOURS,
    Clock,
    ClockLevel,
    ClockState,
    ComplaintStatus,
)
from retainops.complaints.models import (
    BusinessCalendar,
    ClockPause,
    ClockTimer,
    Complaint,
    default_calendar,
)
from retainops.core.choices import badge

S = ComplaintStatus


@dataclass(frozen=True)
class ClockReading:
    """Where one clock of a complaint stands at a moment."""

    clock: str
    state: str
    target_minutes: int
    used_minutes: float
    due_at: datetime | None

    @property
    def left_minutes(self) -> float:
        return self.target_minutes - self.used_minutes

    @property
    def percent_used(self) -> int:
        return round(100 * self.used_minutes / self.target_minutes)

    @property
    def badge(self) -> dict:
        return badge(ClockState, CLOCK_STATE_COLOURS, self.state)

    @property
    def left_label(self) -> str:
        """Business time left (or over), as people say it: '3 h 20 min left'."""
        minutes = round(abs(self.left_minutes))
        hours, rest = divmod(minutes, 60)
        spoken = f"{hours} h {rest} min" if hours else f"{rest} min"
        return f"{spoken} over" if self.left_minutes < 0 else f"{spoken} left"


def calendar_of(complaint: Complaint) -> WorkingCalendar:
    """The business hours of the complaint's unit (the default week where none is set)."""
    unit = complaint.client.business_unit
    stored: BusinessCalendar | None = getattr(unit, "complaint_calendar", None)
    return stored.working_calendar() if stored is not None else default_calendar()


def pauses_of(complaint: Complaint) -> list[Pause]:
    return [(p.started_at, p.ended_at) for p in complaint.pauses.all()]


def _stopped_at(complaint: Complaint, clock: str) -> datetime | None:
    return complaint.acknowledged_at if clock == Clock.RESPONSE else complaint.resolved_at


def _target(complaint: Complaint, clock: str) -> int:
    if clock == Clock.RESPONSE:
        return complaint.response_target_minutes
    return complaint.resolution_target_minutes


def read_clock(
    complaint: Complaint, clock: str, now: datetime, calendar: WorkingCalendar | None = None
) -> ClockReading:
    """Where `clock` of the complaint stands at `now`."""
    calendar = calendar or calendar_of(complaint)
    pauses = pauses_of(complaint) if clock == Clock.RESOLUTION else []
    stopped = _stopped_at(complaint, clock)
    target = _target(complaint, clock)
    used = calendar.business_minutes_between(complaint.raised_at, stopped or now, pauses)
    due = complaint.response_due_at if clock == Clock.RESPONSE else complaint.resolution_due_at
    if used >= target:
        state = ClockState.BREACHED
    elif stopped is not None:
        state = ClockState.MET
    elif clock == Clock.RESOLUTION and complaint.status == S.WAITING_ON_CLIENT:
        state = ClockState.PAUSED
    else:
        state = ClockState.RUNNING
    return ClockReading(
        clock=clock, state=state, target_minutes=target, used_minutes=used, due_at=due
    )


def clock_reading(complaint: Complaint, now: datetime) -> ClockReading:
    """The clock that matters now: first response until acknowledged, then resolution."""
    clock = Clock.RESPONSE if complaint.acknowledged_at is None else Clock.RESOLUTION
    return read_clock(complaint, clock, now)


def _percent(complaint: Complaint, level: str) -> int:
    if level == ClockLevel.WARNING:
        return complaint.warn_at_percent
    if level == ClockLevel.SECOND_LEVEL:
        return complaint.second_level_percent
    return 100


def schedule_timers(complaint: Complaint, now: datetime) -> None:
    """Bring the complaint's timer rows in line with its clocks (see the module's note)."""
    calendar = calendar_of(complaint)
    # Read from the database: the change just made may have opened or ended a pause
    # that a list fetched with the complaint does not know of.
    stored = ClockPause.objects.filter(complaint=complaint).order_by("started_at", "id")
    pauses: list[Pause] = [(p.started_at, p.ended_at) for p in stored]
    standing = any(end is None for _start, end in pauses)
    for clock in Clock.values:
        if _stopped_at(complaint, clock) is not None:
            _drop_pending(complaint, clock, now)
            _set_due(complaint, clock, None)
            continue
        still = clock == Clock.RESOLUTION and standing
        clock_pauses = pauses if clock == Clock.RESOLUTION else []
        for level in ClockLevel.values:
            minutes = _target(complaint, clock) * _percent(complaint, level) / 100
            due = (
                None
                if still
                else calendar.add_business_minutes(complaint.raised_at, minutes, clock_pauses)
            )
            _place_timer(complaint, clock, level, due)
            if level == ClockLevel.BREACH:
                _set_due(complaint, clock, due)


def _place_timer(complaint: Complaint, clock: str, level: str, due: datetime | None) -> None:
    """Create the row for this moment, or move it if it has not been told yet."""
    timer, created = ClockTimer.objects.get_or_create(
        complaint=complaint, clock=clock, level=level, defaults={"due_at": due}
    )
    if not created:
        ClockTimer.objects.filter(pk=timer.pk, fired_at__isnull=True).update(
            due_at=due, dropped_at=None
        )


def _drop_pending(complaint: Complaint, clock: str, now: datetime) -> None:
    ClockTimer.objects.filter(
        complaint=complaint, clock=clock, fired_at__isnull=True, dropped_at__isnull=True
    ).update(dropped_at=now)


def _set_due(complaint: Complaint, clock: str, due: datetime | None) -> None:
    field = "response_due_at" if clock == Clock.RESPONSE else "resolution_due_at"
    setattr(complaint, field, due)
    Complaint.objects.filter(pk=complaint.pk).update(**{field: due})
