"""Reads of onboarding, scoped to the person asking: programs, the board, the timings.

The board places each sold program in the column of the furthest open step on
the playbook's main path (the first step, and steps that wait for others; side
steps such as the first call or the meetings after go-live run beside it),
marks it late when any open step is past due, and stuck when no step was done
for ONBOARDING_STUCK_DAYS.
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from retainops.clients.queries import visible_clients
from retainops.messaging.choices import MeetingState
from retainops.messaging.models import Meeting, Message
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program
from retainops.playbooks.choices import CLOSED_TASK_STATES, StepKind, TaskState
from retainops.playbooks.models import Playbook, Run, Task

ONBOARDING = "onboarding"
LIVE_COLUMN = "Live"


def visible_programs(user: Any) -> QuerySet[Program]:
    return Program.objects.filter(client__in=visible_clients(user)).select_related(
        "client__business_unit"
    )


def onboarding_run(program: Program) -> Run | None:
    return (
        Run.objects.filter(
            subject_type="program", subject_id=program.pk, version__playbook__key=ONBOARDING
        )
        .select_related("version__playbook")
        .order_by("-started_at")
        .first()
    )


@dataclass
class Card:
    program: Program
    stage: str
    owner: str
    age_days: int
    late: bool
    stuck: bool
    open_titles: list[str] = field(default_factory=list)


@dataclass
class Board:
    columns: list[str]
    cards: dict[str, list[Card]]
    timings: "Timings"


def _main_path() -> list[str]:
    """Titles of the steps that make the stages, in the playbook's order. A wait (the
    survey sent a week after go-live) is nobody's work, so it is not a stage."""
    playbook = Playbook.objects.filter(key=ONBOARDING).select_related("current").first()
    if playbook is None or playbook.current is None:
        return []
    steps = playbook.current.definition.steps
    return [
        s.title
        for index, s in enumerate(steps)
        if (index == 0 or s.needs) and s.kind != StepKind.WAIT
    ]


def _card(program: Program, tasks: list[Task], order: list[str], now: datetime) -> Card:
    open_tasks = [t for t in tasks if t.state == TaskState.OPEN]
    on_path = sorted(
        (t for t in open_tasks if t.title in order), key=lambda t: order.index(t.title)
    )
    closed_at = [t.closed_at for t in tasks if t.state in CLOSED_TASK_STATES and t.closed_at]
    last_progress = max([*closed_at, program.sold_at or program.created_at])
    live = program.status == ProgramStatus.LIVE
    furthest = on_path[-1] if on_path else None
    return Card(
        program=program,
        stage=furthest.title if furthest else (LIVE_COLUMN if live else "Waiting"),
        owner=furthest.owner_label if furthest else "",
        age_days=(now - (program.sold_at or program.created_at)).days,
        late=any(t.due_at is not None and t.due_at < now for t in open_tasks),
        stuck=not live and now - last_progress > timedelta(days=settings.ONBOARDING_STUCK_DAYS),
        open_titles=[t.title for t in open_tasks],
    )


def onboarding_board(user: Any, *, now: datetime | None = None) -> Board:
    now = now or timezone.now()
    order = _main_path()
    programs = list(
        visible_programs(user)
        .filter(status__in=[ProgramStatus.SOLD, ProgramStatus.LIVE])
        .order_by("sold_at")
    )
    tasks_by_program = _tasks_by_program([p.pk for p in programs])
    cards: dict[str, list[Card]] = {}
    for program in programs:
        card = _card(program, tasks_by_program.get(program.pk, []), order, now)
        if card.stage == LIVE_COLUMN:
            continue  # live with every onboarding step done: onboarding is over
        cards.setdefault(card.stage, []).append(card)
    columns = [title for title in order if title in cards] + [c for c in cards if c not in order]
    return Board(columns=columns, cards=cards, timings=timings(programs))


def _tasks_by_program(program_ids: list[int]) -> dict[int, list[Task]]:
    tasks = Task.objects.filter(
        run__subject_type="program",
        run__subject_id__in=program_ids,
        run__version__playbook__key=ONBOARDING,
    ).select_related("assignee", "queue_team", "run")
    grouped: dict[int, list[Task]] = {}
    for task in tasks:
        grouped.setdefault(int(task.run.subject_id), []).append(task)
    return grouped


# Timings ----------------------------------------------------------------------------------


@dataclass
class Timings:
    """Days from sale: to go-live, and to each onboarding step's completion (medians)."""

    programs: int
    median_days_to_live: float | None
    median_days_to_step: dict[str, float] = field(default_factory=dict)


def days_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def program_timings(program: Program) -> dict[str, float]:
    """For one program: days from its sale to each step done, and to go-live."""
    if program.sold_at is None:
        return {}
    result: dict[str, float] = {}
    run = onboarding_run(program)
    if run is not None:
        for task in run.tasks.filter(state=TaskState.DONE).order_by("closed_at"):
            if task.closed_at:
                result[task.title] = days_between(program.sold_at, task.closed_at)
    if program.went_live_at:
        result[LIVE_COLUMN] = days_between(program.sold_at, program.went_live_at)
    return result


def timings(programs: list[Program]) -> Timings:
    sold = [p for p in programs if p.sold_at]
    to_live = [
        days_between(p.sold_at, p.went_live_at) for p in sold if p.sold_at and p.went_live_at
    ]
    per_step: dict[str, list[float]] = {}
    tasks = Task.objects.filter(
        run__subject_type="program",
        run__subject_id__in=[p.pk for p in sold],
        run__version__playbook__key=ONBOARDING,
        state=TaskState.DONE,
    ).select_related("run")
    sold_at = {p.pk: p.sold_at for p in sold}
    for task in tasks:
        start = sold_at.get(int(task.run.subject_id))
        if start and task.closed_at:
            per_step.setdefault(task.title, []).append(days_between(start, task.closed_at))
    return Timings(
        programs=len(sold),
        median_days_to_live=statistics.median(to_live) if to_live else None,
        median_days_to_step={k: statistics.median(v) for k, v in per_step.items()},
    )


def client_meetings(program: Program, *, now: datetime | None = None) -> list[Meeting]:
    """Meetings the program's processes booked with the client's contacts, yet to come
    (internal ones, such as the production meeting, stay out of the client's sight)."""
    meetings = program_meetings(program).filter(
        state=MeetingState.SCHEDULED, starts_at__gte=now or timezone.now()
    )
    return [m for m in meetings if any(_with_contacts(spec) for spec in m.attendees)]


def _with_contacts(spec: str) -> bool:
    return spec == "contacts" or spec.startswith("contact:")


def program_meetings(program: Program) -> QuerySet[Meeting]:
    """The meetings the program's processes booked, whatever their state."""
    booked = Task.objects.filter(
        run__subject_type="program", run__subject_id=program.pk, meeting__isnull=False
    ).values("meeting_id")
    return Meeting.objects.filter(pk__in=booked).order_by("starts_at")


def client_steps(program: Program) -> tuple[list[str], list[str]]:
    """Client titles of the onboarding steps under way, and of those still to come, in order.

    Only the main path counts, as on the board: the first step and the steps that
    wait for others. Side steps (the first call, the meetings after go-live) open at
    once and would read as if everything were happening now; the meetings are
    listed with their dates instead. A step without a `client_title` is internal and
    is not named: while only such steps are under way, the page says the program is
    being prepared.
    """
    run = onboarding_run(program)
    if run is None:
        return [], []
    steps = run.definition.steps
    shown = {
        s.key: s.client_title
        for index, s in enumerate(steps)
        if (index == 0 or s.needs) and s.client_title
    }
    rows = run.tasks.filter(
        state__in=[TaskState.OPEN, TaskState.WAITING], step_key__in=list(shown)
    ).order_by("id")
    found = [(state, shown[key]) for state, key in rows.values_list("state", "step_key")]
    return (
        [title for state, title in found if state == TaskState.OPEN],
        [title for state, title in found if state == TaskState.WAITING],
    )


# Messages ---------------------------------------------------------------------------------


def program_cause(program: Program, what: str) -> str:
    """The `cause` of a message the program's own operations queue (not its runs')."""
    return f"program {program.pk}: {what}"


def program_messages(program: Program) -> QuerySet[Message]:
    """The messages the program caused, newest first: those its runs queued (steps,
    reminders, escalations), its meetings' invitations and updates, and those its own
    operations queued (portal links, what the client did through the portal).

    A client with several programs has the messages of each apart; what was written to
    the client by hand belongs to no program and stays on the client's page.
    """
    meetings = program_meetings(program).values_list("uid", flat=True)
    caused = (
        Q(run__subject_type="program", run__subject_id=program.pk)
        | Q(cause__in=[f"meeting {uid}" for uid in meetings])
        | Q(cause__startswith=program_cause(program, ""))
    )
    return (
        Message.objects.filter(caused, client=program.client)
        .select_related("created_by", "webhook")
        .prefetch_related("recipients")
        .order_by("-created_at", "-id")
    )
