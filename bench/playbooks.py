"""Measure the process engine on one data set; prints JSON figures.

Run by bench/run_all.py once per data-set size, each in a fresh database:

  my work   GET /work/ signed in as an account manager of one business unit,
            and queries.my_work / queries.work_counts alone: median and p95
            milliseconds over `repeat` calls after a warm-up, SQL queries per call.
  sweep     the due-timer query (timers.due_timers(now), LIMIT 20, alone and
            with the joins fire_due adds) and timers.fire_due(limit=100) rolled
            back, among every pending timer of the open tasks (all in the future)
            plus exactly 100 due; with the query plan, which should read the
            partial index timer_due_idx and so follow what is due, not what exists.
  by due    the whole sweep (timers.fire_all_due: pass after pass until nothing
            is due, as `retainops tick` does), rolled back, with 10, 100 and 1,000
            timers due among the same pending timers: its cost should grow in
            proportion to what is due (the same milliseconds per due timer), and
            its queries per batch (of WORKER_BATCH_SIZE) should not grow at all.

The data: runs of a ten-step onboarding playbook, two per client, every run
still running, tasks done, open and waiting as the steps' dependencies allow,
timers as the engine arms them. Written with bulk inserts (executemany on
SQLite, COPY on PostgreSQL) around a fixed clock, kept as the playbook
version's publication time, so every repeat sees the same 100 due timers.
"""

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

USERNAME = "bench.account_manager.bench-north.0"
# The timers due at the sweep's clock, by kind: reminders, first escalations (to the
# team lead on the client's team) and ends of waits (they move the run on).
DUE_MIX = {"remind": 45, "escalate": 45, "wait": 10}
DUE = sum(DUE_MIX.values())
# How many timers the sweep finds due in the "by due" measurement (same mix), and how
# many times each is repeated (a sweep of 1,000 takes seconds at the target size).
DUE_LADDER = (10, 100, 1_000)
LADDER_REPEAT = 5
CHUNK_RUNS = 5_000
HOUR, DAY = 60, 24 * 60  # times are whole minutes from the clock
# People per business unit at STAFF_RUNS runs (a few hundred in all hold the tasks);
# a smaller data set has fewer in proportion (at least one per role), so that the
# account manager signed in holds a few hundred open tasks at every size and the
# sizes differ by what others hold.
STAFF_RUNS = 100_000
STAFF = {
    "account_manager": 100,
    "client_success_manager": 50,
    "sales_rep": 30,
    "team_lead": 10,
    "department_manager": 3,
    "operations_lead": 1,
}
# Chance that a client's team has someone in the role; without one, its steps go
# to the role's queue in the client's unit.
TEAM_ROLES = {
    "sales_rep": 1.0,
    "account_manager": 0.97,
    "client_success_manager": 0.95,
    "team_lead": 1.0,
}
LADDER = """
    remind: [{r}]
    escalate:
      - {{after: 0 hours, to: "role:team_lead"}}
      - {{after: 1 day, to: "role:department_manager"}}
      - {{after: 3 days, to: "role:operations_lead"}}"""
PLAYBOOK = f"""
key: bench-onboarding
name: Onboarding a new client
subject: client
trigger: client.sold
anchors: [sold]
steps:
  - key: handoff_notes
    title: Write the hand-off notes for operations
    owner: role:sales_rep
    due: 4 hours after sold
    remind: [1 hour]
    escalate: [{{after: 0 hours, to: "role:team_lead"}}]
  - key: first_contact
    title: First contact with the client
    owner: role:account_manager
    due: 24 hours after sold
    remind: [4 hours, 1 hour]
    escalate:
      - {{after: 0 hours, to: "role:team_lead"}}
      - {{after: 1 day, to: "role:department_manager"}}
  - key: tell_sales
    title: Tell the sales rep that first contact is made
    kind: message
    needs: [first_contact]
    template: handoff-first-contact
    to: ["role:sales_rep"]
  - key: kickoff_call
    title: Kick-off call with the client
    owner: role:account_manager
    needs: [first_contact]
    due: 3 days after first_contact{LADDER.format(r="2 days, 1 day, 2 hours")}
  - key: access_collected
    title: Collect access to the client's accounts
    owner: role:client_success_manager
    needs: [first_contact]
    due: 5 days after first_contact{LADDER.format(r="3 days, 1 day, 4 hours")}
  - key: brand_assets
    title: Gather logos, photos and brand guidelines
    owner: role:client_success_manager
    needs: [first_contact]
    due: 7 days after first_contact{LADDER.format(r="3 days, 1 day, 4 hours")}
  - key: setup_tracking
    title: Set up tracking and reporting
    owner: role:account_manager
    needs: [kickoff_call]
    due: 7 days after kickoff_call{LADDER.format(r="3 days, 1 day, 2 hours")}
  - key: strategy_approval
    title: Approve the first-quarter strategy
    kind: approval
    owner: role:team_lead
    needs: [kickoff_call, access_collected, brand_assets]
    due: 2 days after brand_assets
    remind: [1 day, 2 hours]
    escalate: [{{after: 1 day, to: "role:department_manager"}}]
  - key: first_results
    title: Wait for two weeks of results
    kind: wait
    needs: [setup_tracking, strategy_approval]
    due: 14 days after setup_tracking
  - key: month_one_review
    title: Review the first results with the client
    owner: role:account_manager
    needs: [first_results]
    due: 2 days after first_results{LADDER.format(r="2 days, 1 day, 2 hours")}
"""
# Where a run stands (steps done, steps open; the rest wait) and how many runs in
# a hundred stand there: most steps are done, about two are open.
STAGES: list[tuple[frozenset[int], frozenset[int], int]] = [
    (frozenset(done), frozenset(open_), weight)
    for done, open_, weight in [
        ((), (0, 1), 3),
        ((0,), (1,), 3),
        ((0, 1, 2), (3, 4, 5), 12),
        ((0, 1, 2, 3), (4, 5, 6), 14),
        ((0, 1, 2, 3, 4), (5, 6), 14),
        ((0, 1, 2, 3, 4, 5), (6, 7), 16),
        ((0, 1, 2, 3, 4, 5, 7), (6,), 10),
        ((0, 1, 2, 3, 4, 5, 6, 7), (8,), 14),
        ((0, 1, 2, 3, 4, 5, 6, 7, 8), (9,), 14),
    ]
]


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Writing rows --------------------------------------------------------------------------


class Codec:
    """Column values as each database takes them in bulk; times are minutes from `now`."""

    def __init__(self, vendor: str, now: datetime) -> None:
        self.postgres = vendor == "postgresql"
        self.now = now
        self._stamps: dict[int, str] = {}

    def at(self, minute: int | None) -> str | None:
        # Django keeps naive UTC text on SQLite; COPY parses the offset. Cached:
        # a few hundred thousand distinct minutes serve millions of values.
        if minute is None:
            return None
        stamp = self._stamps.get(minute)
        if stamp is None:
            moment = self.now + timedelta(minutes=minute)
            stamp = f"{moment:%Y-%m-%d %H:%M:%S}" + ("+00:00" if self.postgres else "")
            self._stamps[minute] = stamp
        return stamp

    def duration(self, minutes: int) -> timedelta | int:
        # DurationField is an interval on PostgreSQL, microseconds on SQLite.
        return timedelta(minutes=minutes) if self.postgres else minutes * 60_000_000

    def anchors(self, sold: int) -> str:
        return json.dumps({"sold": (self.now + timedelta(minutes=sold)).isoformat()})


def _write(model: Any, fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert rows in one statement stream: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        sql = f"COPY {table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        # The raw sqlite3 connection: no per-row query logging in DEBUG.
        marks = ", ".join("?" * len(fields))
        connection.connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


# Staff, clients and the playbook --------------------------------------------------------


def _staff(units: list[Any], runs: int) -> dict[str, list[list[int]]]:
    """People by role and unit (ids), created in bulk with their roles and units."""
    from retainops.core.models import Role, User

    sizes = {code: max(1, round(count * runs / STAFF_RUNS)) for code, count in STAFF.items()}
    people = [
        User(
            username=f"bench.{code}.{unit.code}.{n}", email=f"{code}.{unit.code}.{n}@bench.example"
        )
        for code, count in sizes.items()
        for unit in units
        for n in range(count)
    ]
    User.objects.bulk_create(people, batch_size=2000)
    roles = {r.code: r.pk for r in Role.objects.filter(code__in=STAFF)}
    by_role: dict[str, list[list[int]]] = {code: [[] for _ in units] for code in STAFF}
    role_links, unit_links = [], []
    for user in people:
        _bench, code, unit_code, _n = user.username.split(".")
        index = next(i for i, unit in enumerate(units) if unit.code == unit_code)
        by_role[code][index].append(user.pk)
        role_links.append(User.roles.through(user_id=user.pk, role_id=roles[code]))
        unit_links.append(
            User.business_units.through(user_id=user.pk, businessunit_id=units[index].pk)
        )
    User.roles.through.objects.bulk_create(role_links, batch_size=2000)
    User.business_units.through.objects.bulk_create(unit_links, batch_size=2000)
    return by_role


@dataclass
class ClientRow:
    id: int
    unit: int  # index into the units
    team: dict[str, int | None]  # role code -> user id, None when the role is unfilled


def _clients(
    count: int,
    units: list[Any],
    staff: dict[str, list[list[int]]],
    codec: Codec,
    rng: random.Random,
) -> list[ClientRow]:
    """Clients alternating between the units, each with a team drawn from its unit's staff."""
    from retainops.clients.models import Client, ClientTeamMember
    from retainops.core.models import Role

    roles = {r.code: r.pk for r in Role.objects.filter(code__in=TEAM_ROLES)}
    first, member_ids = _next_id(Client), itertools.count(_next_id(ClientTeamMember))
    clients, client_rows, member_rows = [], [], []
    created = codec.at(-90 * DAY)
    for n in range(count):
        row = ClientRow(first + n, n % 2, {})
        for code, chance in TEAM_ROLES.items():
            row.team[code] = rng.choice(staff[code][row.unit]) if rng.random() < chance else None
            if row.team[code] is not None:
                member_rows.append((next(member_ids), row.id, roles[code], row.team[code]))
        clients.append(row)
        client_rows.append(
            (row.id, f"Bench client {n}", units[row.unit].pk, "onboarding", "", "", "", "",
             None, created, created, 0)
        )  # fmt: skip
    _write(Client, CLIENT_FIELDS, client_rows)
    _write(ClientTeamMember, ["id", "client", "role", "user"], member_rows)
    return clients


CLIENT_FIELDS = [
    "id", "name", "business_unit", "status", "external_id", "website", "industry", "notes",
    "sold_on", "created_at", "updated_at", "mrr",
]  # fmt: skip
RUN_FIELDS = [
    "id", "version", "subject_type", "subject_id", "client", "business_unit", "state", "anchors",
    "started_at", "started_by", "requested_by", "trigger", "ended_at", "end_reason",
]  # fmt: skip
TASK_FIELDS = [
    "id", "run", "step_key", "title", "kind", "state", "client", "business_unit", "assignee",
    "queue_team", "queue_role", "due_at", "opened_at", "closed_at", "closed_by", "note",
    "decision", "skip_reason", "escalated_at", "meeting",
]  # fmt: skip
TIMER_FIELDS = [
    "id", "task", "kind", "slot", "offset", "due_at", "fired_at", "dropped_at", "outcome",
]  # fmt: skip


@dataclass(frozen=True)
class StepPlan:
    """What the generator needs of a step: its owner role, due offset and timers (minutes)."""

    key: str
    title: str
    kind: str
    role: str | None
    anchored: bool
    offset: int
    timers: tuple[tuple[str, int, int], ...]  # (kind, slot, minutes after the due time)


def _plan(version: Any) -> list[StepPlan]:
    from retainops.playbooks.definition import parse_duration

    def minutes(text: str) -> int:
        return int(parse_duration(text).total_seconds() // 60)

    plans = []
    for step in version.definition.steps:
        rule = step.due_rule
        timers = [("remind", i, -minutes(r.before)) for i, r in enumerate(step.remind)]
        timers += [("escalate", i, minutes(e.after)) for i, e in enumerate(step.escalate)]
        timers += [("wait", 0, 0)] if step.kind == "wait" else []
        plans.append(
            StepPlan(
                key=step.key,
                title=step.title,
                kind=str(step.kind),
                role=step.owner.partition(":")[2] if step.owner else None,
                anchored=rule is not None and rule.ref == "sold",
                offset=int(rule.offset.total_seconds() // 60) if rule else 0,
                timers=tuple(timers),
            )
        )
    return plans


def _publish(now: datetime, units: list[Any]) -> Any:
    """The bench playbook, published by an operations lead; its publication time is the clock."""
    from retainops.core.models import Role, User
    from retainops.playbooks.services import publish_playbook

    publisher = User.objects.create(username="bench.publisher")
    publisher.roles.add(Role.objects.get(code="operations_lead"))
    publisher.business_units.add(*units)
    version = publish_playbook(by=publisher, source=PLAYBOOK)
    version.published_at = now
    version.save(update_fields=["published_at"])
    return version


# Runs, tasks and timers -----------------------------------------------------------------


@dataclass
class Times:
    opened: int
    due: int | None
    closed: int | None = None


def _lay_out(
    stage: tuple[frozenset[int], frozenset[int], int], steps: list[StepPlan], rng: random.Random
) -> tuple[int, dict[int, Times]]:
    """When the run was sold and when each started step opened, is due and closed (minutes)."""
    done, open_, _weight = stage
    times: dict[int, Times] = {}
    if any(steps[i].anchored for i in open_):
        sold = -rng.randint(0, 36 * HOUR)
        for i in sorted(done | open_):
            times[i] = Times(sold, sold + steps[i].offset)
        for i in done:
            times[i].closed = sold + rng.randint(0, min(6 * HOUR, -sold))
        return sold, times
    for i in open_:
        step = steps[i]
        # A wait still open ends in the future; other tasks are overdue about one time in four.
        back = (
            rng.randint(HOUR, step.offset - HOUR)
            if step.kind == "wait"
            else rng.randint(0, step.offset * 13 // 10)
        )
        times[i] = Times(-back, -back + step.offset)
    first_open = min(t.opened for t in times.values())
    sold = first_open - rng.randint(2 * DAY, 20 * DAY)
    closings = sorted(rng.randint(sold + HOUR, first_open) for _ in done)
    previous = sold
    for i, closed in zip(sorted(done), closings, strict=True):
        times[i] = _done_times(steps[i], sold, previous, closed)
        previous = closed
    return sold, times


def _done_times(step: StepPlan, sold: int, previous: int, closed: int) -> Times:
    if step.kind == "wait":
        return Times(closed - step.offset, closed, closed)
    if step.kind == "message":
        return Times(closed, None, closed)
    opened = sold if step.anchored else previous
    return Times(opened, (sold if step.anchored else opened) + step.offset, closed)


def _timers(
    task_id: int, step: StepPlan, times: Times, ids: Iterable[int], codec: Codec
) -> tuple[list[tuple], int | None]:
    """The task's timer rows as the engine leaves them at `now`, and when it was escalated."""
    rows: list[tuple] = []
    escalated = None
    if times.due is None:
        return rows, escalated
    for (kind, slot, offset), timer_id in zip(step.timers, ids, strict=False):
        at = times.due + offset
        if kind == "remind" and at < times.opened:
            continue  # sync_timers arms no reminder whose moment had passed
        # Pending while in the future (or while the task is open); else fired or dropped.
        fired = at + 1 if at <= (0 if times.closed is None else times.closed) else None
        dropped = times.closed if fired is None and times.closed is not None else None
        if kind == "escalate" and fired is not None and escalated is None:
            escalated = at
        outcome = _outcome(kind, fired, dropped)
        at_, fired_, dropped_ = codec.at(at), codec.at(fired), codec.at(dropped)
        rows.append(
            (timer_id, task_id, kind, slot, codec.duration(offset), at_, fired_, dropped_, outcome)
        )
    return rows, escalated


def _outcome(kind: str, fired: int | None, dropped: int | None) -> str:
    if dropped is not None:
        return "task done"
    if fired is None:
        return ""
    return "wait ended" if kind == "wait" else "message queued to 1 recipient(s)"


@dataclass
class Batch:
    runs: list[tuple]
    tasks: list[tuple]
    timers: list[tuple]


@dataclass
class Context:
    """What every run of the data set shares."""

    steps: list[StepPlan]
    codec: Codec
    version_id: int
    unit_ids: list[int]
    first_run: int
    first_task: int
    timer_ids: Iterable[int]


def _run_rows(
    run_id: int, client: ClientRow, ctx: Context, batch: Batch, rng: random.Random
) -> None:
    """One running run on `client`: its row, its ten tasks, their timers."""
    stage = rng.choices(STAGES, weights=[weight for _d, _o, weight in STAGES])[0]
    done, open_, _weight = stage
    sold, times = _lay_out(stage, ctx.steps, rng)
    by_hand = rng.random() < 0.1 and client.team["account_manager"] is not None
    starter = client.team["account_manager" if by_hand else "sales_rep"]
    batch.runs.append(
        (run_id, ctx.version_id, "client", client.id, client.id, ctx.unit_ids[client.unit],
         "running", ctx.codec.anchors(sold), ctx.codec.at(sold), starter, starter,
         "manual" if by_hand else "client.sold", None, "")
    )  # fmt: skip
    for index in range(len(ctx.steps)):
        state = "done" if index in done else "open" if index in open_ else "waiting"
        _task_rows(ctx, run_id, client, index, state, times.get(index), batch)


def _task_rows(
    ctx: Context,
    run_id: int,
    client: ClientRow,
    index: int,
    state: str,
    times: Times | None,
    batch: Batch,
) -> None:
    """A task of the run, and its timers when the step has started."""
    step, at = ctx.steps[index], ctx.codec.at
    task_id = ctx.first_task + (run_id - ctx.first_run) * len(ctx.steps) + index
    escalated = None
    if times is not None:
        timers, escalated = _timers(task_id, step, times, ctx.timer_ids, ctx.codec)
        batch.timers.extend(timers)
    times = times or Times(0, None)
    # The owner is resolved when the step opens: the role's holder on the client's
    # team, else the role's queue in the client's unit.
    started, done = state != "waiting", state == "done"
    owner = client.team.get(step.role) if step.role and started else None
    queue = step.role if step.role and started and owner is None else ""
    note = "message queued" if done and step.kind == "message" else ""
    decision = "approved" if done and step.kind == "approval" else ""
    batch.tasks.append(
        (task_id, run_id, step.key, step.title, step.kind, state, client.id,
         ctx.unit_ids[client.unit], owner, None, queue, at(times.due),
         at(times.opened) if started else None, at(times.closed), owner if done else None,
         note, decision, "", at(escalated), None)
    )  # fmt: skip


def generate(runs: int, seed: int = 11) -> dict[str, float]:
    """Write `runs` running runs (ten tasks each) on runs / 2 clients of two units."""
    from django.db import transaction
    from django.utils import timezone

    from retainops.core.models import BusinessUnit
    from retainops.playbooks.models import Run, Task, Timer

    rng = random.Random(seed)
    now = timezone.now().replace(second=0, microsecond=0)
    started = time.perf_counter()
    with transaction.atomic():
        units = [
            BusinessUnit.objects.create(code="bench-north", name="Bench North"),
            BusinessUnit.objects.create(code="bench-south", name="Bench South"),
        ]
        staff = _staff(units, runs)
        version = _publish(now, units)
    codec = Codec(_vendor(), now)
    with transaction.atomic():
        clients = _clients((runs + 1) // 2, units, staff, codec, rng)
    ctx = Context(
        steps=_plan(version),
        codec=codec,
        version_id=version.pk,
        unit_ids=[unit.pk for unit in units],
        first_run=_next_id(Run),
        first_task=_next_id(Task),
        timer_ids=itertools.count(_next_id(Timer)),
    )
    for first in range(0, runs, CHUNK_RUNS):
        batch = Batch([], [], [])
        for n in range(first, min(first + CHUNK_RUNS, runs)):
            _run_rows(ctx.first_run + n, clients[n // 2], ctx, batch, rng)
        with transaction.atomic():
            _write(Run, RUN_FIELDS, batch.runs)
            _write(Task, TASK_FIELDS, batch.tasks)
            _write(Timer, TIMER_FIELDS, batch.timers)
    written = time.perf_counter() - started
    _make_due(now)
    _after_load()
    return {"write_s": round(written, 1), "total_s": round(time.perf_counter() - started, 1)}


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


def _mix(count: int) -> dict[str, int]:
    """DUE_MIX scaled to `count` due timers."""
    remind = count * DUE_MIX["remind"] // DUE
    escalate = count * DUE_MIX["escalate"] // DUE
    return {"remind": remind, "escalate": escalate, "wait": count - remind - escalate}


def _make_due(now: datetime, count: int = DUE) -> None:
    """`count` timers due at `now` (exactly, when the data set has that many to choose
    from), in the same mix whatever the size: the latest reminders and escalations of
    open tasks left unfired (the worker has not passed yet), and the soonest waits
    ended a minute ago.

    Only tasks held by a person: a queue task's reminder goes to every holder of the
    role in the unit, a number that differs between the data sets, and the sweep
    must do the same work per timer in both.
    """
    from retainops.playbooks.models import Task, Timer

    mix = _mix(count)
    fired = Timer.objects.filter(
        task__state="open", task__assignee__isnull=False, fired_at__isnull=False
    ).order_by("-due_at", "-id")
    for kind, slots in (("remind", [0, 1, 2]), ("escalate", [0])):
        latest = fired.filter(kind=kind, slot__in=slots).values_list("id", flat=True)
        chosen = list(latest[: mix[kind]])
        Timer.objects.filter(pk__in=chosen).update(fired_at=None, outcome="")
    waits = Timer.objects.pending().filter(kind="wait").order_by("due_at", "id")
    for timer_id, task_id in list(waits.values_list("id", "task_id")[: mix["wait"]]):
        Timer.objects.filter(pk=timer_id).update(due_at=now - timedelta(minutes=1))
        Task.objects.filter(pk=task_id).update(due_at=now - timedelta(minutes=1))


def _after_load() -> None:
    """Sequences past the ids written by hand (PostgreSQL), and planner statistics.

    A database in service has statistics (autovacuum, or SQLite's ANALYZE);
    freshly bulk-loaded tables do not, so gather them once.
    """
    from django.core.management.color import no_style
    from django.db import connection

    from retainops.clients.models import Client, ClientTeamMember
    from retainops.playbooks.models import Run, Task, Timer

    models = [Client, ClientTeamMember, Run, Task, Timer]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        cursor.execute("ANALYZE")


# Measuring ------------------------------------------------------------------------------


def _time(call: Callable[[], Any], repeat: int, warm_up: bool = True) -> dict[str, float]:
    """Median and p95 ms of `repeat` calls after a warm-up, and SQL queries per call."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    if warm_up:
        call()
    samples, counts = [], []
    for _ in range(repeat):
        # Django keeps the last 9,000 queries only: start each call from an empty log.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        counts.append(len(queries.captured_queries))
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(int(len(samples) * 0.95) - 1, 0)], 2),
        "queries": round(statistics.median(counts)),
    }


def _page(user: Any, repeat: int) -> dict[str, Any]:
    """GET /work/ as `user`; not measured while the page is a placeholder."""
    from django.test import Client as HttpClient

    browser = HttpClient()
    browser.force_login(user)
    probe = browser.get("/work/")
    if probe.status_code != 200 or b"<html" not in probe.content.lower():
        return {"measured": False, "status": probe.status_code, "bytes": len(probe.content)}

    def get() -> None:
        response = browser.get("/work/")
        if response.status_code != 200:
            raise RuntimeError(f"/work/ answered {response.status_code}")

    return {"measured": True, "bytes": len(probe.content), **_time(get, repeat)}


def my_work(repeat: int) -> dict[str, Any]:
    from retainops.core.models import User
    from retainops.playbooks import queries
    from retainops.playbooks.models import Task

    user = User.objects.get(username=USERNAME)
    inbox = queries.my_work(user)
    # The queue count, as work_counts runs it: it should read task_role_idx, which
    # starts with the role and unit, not the rows of every unassigned open task.
    queue_plan = Task.objects.filter(state="open").filter(queries.queue_filter(user)).explain()
    return {
        "user": {
            "open": Task.objects.filter(assignee=user, state="open").count(),
            "upcoming": inbox.upcoming_count,
            "queue": inbox.queue_count,
            "waiting": inbox.waiting_count,
            "counts": queries.work_counts(user),
        },
        "page": _page(user, repeat),
        "my_work": _time(lambda: queries.my_work(user), repeat),
        "work_counts": _time(lambda: queries.work_counts(user), repeat),
        "queue_plan": queue_plan,
        "queue_uses_task_role_idx": "task_role_idx" in queue_plan,
    }


def _sweep_query(now: datetime, batch: int) -> Any:
    """The read fire_due starts with: due timers, oldest first, with what firing needs."""
    from retainops.playbooks.timers import due_timers

    return due_timers(now).select_related("task__run__version", "task__client")[:batch]


def _fire_and_undo(now: datetime) -> Any:
    """fire_due for real (messages queued, escalations, waits ended), rolled back so every
    repeat finds the same due timers."""
    from django.db import transaction

    from retainops.playbooks.timers import fire_due

    with transaction.atomic():
        report = fire_due(now=now, limit=DUE)
        transaction.set_rollback(True)
    return report


def _sweep_all_and_undo(now: datetime) -> Any:
    """fire_all_due, as one `retainops tick` runs it, rolled back."""
    from django.db import transaction

    from retainops.playbooks.timers import fire_all_due

    with transaction.atomic():
        report = fire_all_due(now=now)
        transaction.set_rollback(True)
    return report


def sweep_by_due(
    now: datetime, repeat: int, ladder: Sequence[int] = DUE_LADDER
) -> list[dict[str, Any]]:
    """The whole sweep with each count of `ladder` due among the same pending timers.

    Each count is set up inside a transaction that is rolled back afterwards: the
    timers due at `now` are set aside (marked fired), `count` are made due in the
    usual mix, the sweep is timed (each repeat rolled back too), and the data set
    is left as it was, with its DUE due.
    """
    from django.conf import settings
    from django.db import connection, transaction

    from retainops.playbooks.models import Timer

    batch = settings.WORKER_BATCH_SIZE
    # Django's query log keeps the last 9,000 queries; a sweep of 1,000 due timers runs
    # more, and the count must be of the whole sweep.
    connection.queries_log = deque(maxlen=1_000_000)
    figures = []
    for count in ladder:
        with transaction.atomic():
            Timer.objects.due(now).update(fired_at=now, outcome="bench: set aside")
            _make_due(now, count)
            due = Timer.objects.due(now).count()
            report = _sweep_all_and_undo(now)  # the warm-up, and what one sweep does
            timed = _time(lambda: _sweep_all_and_undo(now), repeat, warm_up=False)
            transaction.set_rollback(True)
        per_timer = timed["median_ms"] / due if due else None
        # Passes that fired something (the last pass finds nothing due: one query).
        batches = -(-due // batch)
        figures.append(
            {
                "asked": count,
                "due": due,
                "fired": report.fired,
                "failed": report.failed,
                **timed,
                "ms_per_due": round(per_timer, 3) if per_timer is not None else None,
                "queries_per_batch": round((timed["queries"] - 1) / batches, 1)
                if batches
                else None,
            }
        )
    return figures


def sweep(repeat: int, ladder: Sequence[int] = DUE_LADDER) -> dict[str, Any]:
    from django.conf import settings
    from django.db import transaction

    from retainops.playbooks.models import PlaybookVersion, Timer
    from retainops.playbooks.timers import due_timers

    now = PlaybookVersion.objects.get(playbook__key="bench-onboarding").published_at
    batch = settings.WORKER_BATCH_SIZE

    def bare() -> None:
        with transaction.atomic():  # FOR UPDATE needs one on PostgreSQL
            list(due_timers(now)[:batch])

    def query() -> None:
        with transaction.atomic():
            list(_sweep_query(now, batch))

    with transaction.atomic():
        plan = _sweep_query(now, DUE).explain()
    figures: dict[str, Any] = {
        "pending": Timer.objects.pending().count(),
        "closed": Timer.objects.exclude(fired_at=None, dropped_at=None).count(),
        "due": Timer.objects.due(now).count(),
        "batch": batch,
        "bare_query": _time(bare, repeat),
        "query": _time(query, repeat),
        "plan": plan,
        "uses_timer_due_idx": "timer_due_idx" in plan,
    }
    report = _fire_and_undo(now)  # the warm-up, and what one pass does
    fire = _time(lambda: _fire_and_undo(now), repeat, warm_up=False)
    figures["fire"] = {**fire, "fired": report.fired, "failed": report.failed}
    figures["by_due_repeat"] = min(repeat, LADDER_REPEAT)
    figures["by_due"] = sweep_by_due(now, figures["by_due_repeat"], ladder)
    return figures


def measure(runs: int, repeat: int, ladder: Sequence[int] = DUE_LADDER) -> dict[str, Any]:
    from django.db.models import Count

    from retainops.core.models import User
    from retainops.playbooks.models import Run, Task

    generated = generate(runs) if not Run.objects.exists() else {}
    staff = User.objects.filter(username__startswith="bench.").exclude(username="bench.publisher")
    return {
        "runs": Run.objects.filter(state="running").count(),
        "staff": staff.count(),
        "tasks": Task.objects.count(),
        "task_states": dict(
            Task.objects.values_list("state").annotate(n=Count("id")).order_by("state")
        ),
        "generated": generated,
        **my_work(repeat),
        "sweep": sweep(repeat, ladder),
    }


# Report (called by bench/run_all.py) --------------------------------------------------

SIZES = [("baseline", 1_000), ("target", 100_000)]
UrlFor = Callable[[str], str | None]


def _cell(target: dict[str, Any], baseline: dict[str, Any], key: str) -> str:
    return f"{target[key]} ({baseline[key]})"


def _row(name: str, target: dict[str, Any], baseline: dict[str, Any]) -> str:
    cells = [_cell(target, baseline, k) for k in ("median_ms", "p95_ms", "queries")]
    return f"| {name} | {' | '.join(cells)} |"


def _work_table(engine: str, baseline: dict[str, Any], target: dict[str, Any]) -> list[str]:
    user, base_user = target["user"], baseline["user"]
    page = target["page"]
    lines = [
        f"### My work on {engine}: {target['runs']:,} running runs, {target['tasks']:,} tasks "
        f"vs baseline {baseline['runs']:,} runs, {baseline['tasks']:,} tasks",
        "",
        f"{target['staff']:,} people on the staff (baseline {baseline['staff']:,}: in "
        "proportion to the work). "
        f"Signed in as an account manager of one unit holding {user['open']:,} open tasks "
        f"(baseline {base_user['open']:,}), with {user['queue']:,} in their role's queue "
        f"({base_user['queue']:,}) and {user['waiting']:,} waiting on others "
        f"({base_user['waiting']:,}); each list of the page shows at most 50.",
        "",
        "| call | median ms (baseline) | p95 ms (baseline) | queries (baseline) |",
        "|---|---|---|---|",
    ]
    if page["measured"]:
        lines.append(_row("GET /work/ (the page)", page, baseline["page"]))
    lines.append(_row("queries.my_work(user)", target["my_work"], baseline["my_work"]))
    lines.append(_row("queries.work_counts(user)", target["work_counts"], baseline["work_counts"]))
    if not page["measured"]:
        lines += ["", f"GET /work/ not measured: it answered {page['status']} with "
                  f"{page['bytes']} bytes (not yet the page)."]  # fmt: skip
    states = ", ".join(f"{n:,} {state}" for state, n in target["task_states"].items())
    written = target["generated"].get("total_s", "?")
    used = "yes" if target["queue_uses_task_role_idx"] else "NO"
    return [
        *lines,
        "",
        f"Tasks: {states}; data written in {written} s. Plan of the queue count "
        f"(work_counts; my_work counts the same rows) at {target['tasks']:,} tasks "
        f"(task_role_idx used: {used}):",
        "",
        "```",
        target["queue_plan"],
        "```",
    ]


def _sweep_table(engine: str, baseline: dict[str, Any], target: dict[str, Any]) -> list[str]:
    big, small = target["sweep"], baseline["sweep"]
    used = "yes" if big["uses_timer_due_idx"] else "NO"
    return [
        f"### Firing due timers on {engine}: {big['pending']:,} pending timers "
        f"({big['closed']:,} fired or dropped) vs baseline {small['pending']:,} "
        f"({small['closed']:,}), {big['due']} due in both",
        "",
        "| step | median ms (baseline) | p95 ms (baseline) | queries (baseline) |",
        "|---|---|---|---|",
        _row(f"due_timers(now)[:{big['batch']}]", big["bare_query"], small["bare_query"]),
        _row(f"the same as fire_due reads it (with task, run, version, client), "
             f"LIMIT {big['batch']}", big["query"], small["query"]),
        _row(f"fire_due(limit={DUE}): {big['fire']['fired']} fired "
             f"({big['fire']['failed']} failed), rolled back", big["fire"], small["fire"]),
        "",
        *_by_due_table(big, small),
        "",
        f"Plan of fire_due's read at {big['pending']:,} pending timers "
        f"(timer_due_idx used: {used}):",
        "",
        "```",
        big["plan"],
        "```",
    ]  # fmt: skip


def _times(figure: float | None, base: float | None) -> str:
    return f"x{figure / base:.1f}" if figure is not None and base else "?"


def _by_due_table(big: dict[str, Any], small: dict[str, Any]) -> list[str]:
    """The whole sweep against what is due, at the target's pending timers (baseline's
    in brackets); each count compared with the fewest due."""
    rows, base_rows = big["by_due"], {r["asked"]: r for r in small["by_due"]}
    first = rows[0]
    counts = ", ".join(f"{row['due']:,}" for row in rows)
    lines = [
        f"The whole sweep (fire_all_due: passes of {big['batch']} until nothing is due, "
        f"as `retainops tick` runs it; rolled back) with {counts} timers due among the "
        f"same {big['pending']:,} pending (baseline {small['pending']:,}); the median of "
        f"{big['by_due_repeat']} sweeps each:",
        "",
        f"| due (baseline) | median ms (baseline) | queries (baseline) | queries per batch "
        f"(baseline) | ms per due timer (baseline) | time vs {first['due']:,} due "
        f"| queries vs {first['due']:,} due |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        base = base_rows.get(row["asked"], {})
        failed = f", {row['failed']} failed" if row["failed"] else ""
        lines.append(
            f"| {row['due']:,}{failed} ({base.get('due', '?')}) "
            f"| {row['median_ms']} ({base.get('median_ms', '?')}) "
            f"| {row['queries']:,} ({base.get('queries', '?')}) "
            f"| {row.get('queries_per_batch', '?')} ({base.get('queries_per_batch', '?')}) "
            f"| {row['ms_per_due']} ({base.get('ms_per_due', '?')}) "
            f"| {_times(row['median_ms'], first['median_ms'])} "
            f"| {_times(row['queries'], first['queries'])} |"
        )
    short = [r for r in (*rows, *small["by_due"]) if r["due"] < r["asked"]]
    if short:
        lines += ["", "Fewer due than asked where the data set had too few timers to choose: "
                  + ", ".join(f"{r['due']} of {r['asked']}" for r in short) + "."]  # fmt: skip
    return lines


def playbooks_section(engines: list[tuple[str, UrlFor]], run: Callable[..., dict]) -> list[str]:
    """Markdown tables for every engine that has a database URL."""
    lines: list[str] = []
    for engine, url_for in engines:
        results = {}
        for label, runs in SIZES:
            url = url_for(str(runs))
            if url is None:
                break
            results[label] = run("--runs", str(runs), "--database-url", url)
        if len(results) == len(SIZES):
            lines += [*_work_table(engine, results["baseline"], results["target"]), ""]
            lines += [*_sweep_table(engine, results["baseline"], results["target"]), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--due",
        default=",".join(map(str, DUE_LADDER)),
        help="How many timers are due in each whole-sweep measurement, e.g. 10,100 "
        f"(default {','.join(map(str, DUE_LADDER))})",
    )
    args = parser.parse_args()
    ladder = [int(n) for n in args.due.split(",") if n.strip()]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    _setup(args.database_url)
    print(json.dumps(measure(args.runs, args.repeat, ladder)))


if __name__ == "__main__":
    main()
