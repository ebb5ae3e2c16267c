"""Demo marketing drops: a quarter of them (six weeks back, seven ahead) across the demo
programs, a service team on a two-shift roster with a gap on the Wednesday afternoon of
next week (the late shift on a training day), one drop next week blocked by a phone menu
nobody has test-called, and the past drops with their actual contacts and results.

The blocked drop goes through the services (its readiness playbook starts); the rest is
written in bulk, as the past cannot be lived through again.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from retainops.clients.choices import ClientStatus
from retainops.clients.demo import demo_clients
from retainops.core.choices import RoleCode
from retainops.core.models import User
from retainops.drops import services
from retainops.drops.choices import DropChannel, DropState, Gate
from retainops.drops.forecast import drop_curve
from retainops.drops.models import (
    Acknowledgement,
    ActualInterval,
    Agent,
    Drop,
    DropActivity,
    DropGate,
    ReadinessWarning,
    ResponseProfile,
    Shift,
    TrainingPack,
)
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program
from retainops.voice.models import SurveyDefinition
from retainops.voice.services import dispatch_survey

SEED = 20264
MIN_PROGRAMS = 6
AGENTS = 10
WEEKS_BACK = 6
WEEKS_AHEAD = 7
CHANNELS = [
    DropChannel.MAIL,
    DropChannel.EMAIL_BLAST,
    DropChannel.BANNER,
    DropChannel.PRINT,
    DropChannel.TV,
]
BLOCKED_NAME = "Spring mailer (phone menu untested)"
SURVEY_AFTER_DAYS = 14  # as the shipped drop follow-up playbook
SURVEYED_DROPS = 3


def _monday(day: datetime) -> datetime:
    local = timezone.localtime(day)
    first = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(first, time.min))


def _roster(agents: list[Agent], first_monday: datetime, gap_day: datetime) -> int:
    """Weekdays, an early shift 08:00-16:00 and a late one 12:00-20:00 (half the team
    each); on `gap_day` the late shift is away from 12:00."""
    early, late = agents[: len(agents) // 2], agents[len(agents) // 2 :]
    shifts: list[Shift] = []
    for day in range((WEEKS_BACK + WEEKS_AHEAD) * 7):
        start = first_monday + timedelta(days=day)
        if start.weekday() >= 5:
            continue
        for group, hour in ((early, 8), (late, 12)):
            if group is late and start.date() == gap_day.date():
                continue
            begins = start + timedelta(hours=hour)
            shifts.extend(
                Shift(agent=a, starts_at=begins, ends_at=begins + timedelta(hours=8)) for a in group
            )
    Shift.objects.bulk_create(shifts, batch_size=2000)
    return len(shifts)


def _actuals(drop: Drop, profile: ResponseProfile, rng: random.Random) -> list[ActualInterval]:
    """What the contact centre reports: the forecast with noise, a little faster than it."""
    rows = []
    now = timezone.now()
    for channel, points in drop_curve(drop, profile).items():
        for i, (at, expected) in enumerate(points[:96]):
            if at >= now:
                break
            contacts = round(expected * rng.uniform(0.7, 1.3) * (1.2 if i < 12 else 0.9))
            rows.append(
                ActualInterval(drop=drop, answer_channel=channel, starts_at=at, contacts=contacts)
            )
    return rows


def _live_programs(count: int) -> list[Program]:
    """Live direct-response programs on served demo clients without one, so the drops
    spread across clients (the onboarding demo has programs on a few clients only)."""
    if count <= 0:
        return []
    today = timezone.localdate()
    clients = (
        demo_clients()
        .filter(status=ClientStatus.ACTIVE, programs__isnull=True)
        .order_by("id")[:count]
    )
    return Program.objects.bulk_create(
        Program(
            client=c,
            name=f"{c.name}: direct response",
            status=ProgramStatus.LIVE,
            start_date=today - timedelta(days=WEEKS_BACK * 7 + 14),
            end_date=today + timedelta(days=WEEKS_AHEAD * 7 + 30),
        )
        for c in clients
    )


@transaction.atomic
def seed_drops() -> list[str]:
    """Once: the drops, the roster, the training packs and the results."""
    programs = list(
        Program.objects.filter(client__in=demo_clients()).select_related("client").order_by("id")
    )
    if Drop.objects.filter(program__in=programs).exists():
        return ["Demo drops: already there."]
    programs += _live_programs(MIN_PROGRAMS - len(programs))
    if not programs:
        return ["Demo drops: no client to run drops for."]
    # The demo account manager (sees both units) plans the drops and owns them.
    admin = User.objects.get(username=RoleCode.ACCOUNT_MANAGER.value)
    rng = random.Random(SEED)
    now = timezone.now()
    this_monday = _monday(now)
    first_monday = this_monday - timedelta(weeks=WEEKS_BACK)
    next_monday = this_monday + timedelta(weeks=1)
    gap_day = next_monday + timedelta(days=2)

    agents = Agent.objects.bulk_create(
        Agent(name=f"Agent {chr(65 + i)}. Demo", email=f"agent{i + 1}@service.example")
        for i in range(AGENTS)
    )
    shift_count = _roster(agents, first_monday, gap_day)
    packs = TrainingPack.objects.bulk_create(
        TrainingPack(
            program=p,
            version=1,
            scripts=f"Thank the caller for answering {p.client.name}'s offer; confirm the code.",
            scenarios="Caller has no code; caller wants to cancel; caller asks for a manager.",
            faqs="Where is my offer valid? Until the end of the month, at every location.",
            published_by=admin,
        )
        for p in programs
    )
    Acknowledgement.objects.bulk_create(
        Acknowledgement(pack=pack, agent=a) for pack in packs for a in agents
    )

    profiles = {p.channel: p for p in ResponseProfile.objects.all()}
    drops = []
    # A drop about every four days, each on a program in turn, at 09:00 or 18:00.
    for n, day in enumerate(range(0, (WEEKS_BACK + WEEKS_AHEAD) * 7, 4)):
        program = programs[n % len(programs)]
        channel = CHANNELS[n % len(CHANNELS)]
        at = first_monday + timedelta(days=day, hours=18 if channel == DropChannel.TV else 9)
        if next_monday <= at < next_monday + timedelta(days=7):
            continue  # next week holds the blocked drop alone, so its gap reads clearly
        past = at < now - timedelta(days=2)
        drops.append(
            Drop(
                program=program,
                name=f"{program.client.name}: {channel.label.lower()} {at:%d %b}",
                channel=channel,
                drop_at=at,
                audience_size=rng.choice([20_000, 40_000, 80_000]),
                expected_response_rate=rng.choice([0.01, 0.02, 0.03]),
                owner=admin,
                state=DropState.DROPPED if past else DropState.PLANNED,
                ready_at=at - timedelta(days=2) if past else None,
                conversions=rng.randint(80, 400) if past else None,
                sales=Decimal(rng.randint(8_000, 60_000)) if past else None,
                customers_acquired=rng.randint(40, 200) if past else None,
                created_at=at - timedelta(days=30),
            )
        )
    Drop.objects.bulk_create(drops, batch_size=500)
    gates: list[DropGate] = []
    actuals: list[ActualInterval] = []
    activity: list[DropActivity] = []
    warnings: list[ReadinessWarning] = []
    for drop in drops:
        past = drop.state == DropState.DROPPED
        for gate in Gate.values:
            done = past or gate in (Gate.SCRIPTS, Gate.FAQS)
            gates.append(
                DropGate(
                    drop=drop,
                    gate=gate,
                    test_call_at=drop.drop_at - timedelta(days=4) if done else None,
                    passed_at=drop.drop_at - timedelta(days=3) if done else None,
                    passed_by=admin if done else None,
                )
            )
        activity.append(DropActivity(drop=drop, by=admin, at=drop.created_at, what="planned"))
        if past:
            actuals.extend(_actuals(drop, profiles[drop.channel], rng))
            activity.append(DropActivity(drop=drop, by=admin, at=drop.drop_at, what="dropped"))
        else:
            warnings.extend(
                ReadinessWarning(
                    drop=drop, days_before=days, due_at=drop.drop_at - timedelta(days=days)
                )
                for days in services.WARN_DAYS_BEFORE
                if drop.drop_at - timedelta(days=days) > now
            )
    DropGate.objects.bulk_create(gates, batch_size=2000)
    ActualInterval.objects.bulk_create(actuals, batch_size=2000)
    DropActivity.objects.bulk_create(activity, batch_size=2000)
    ReadinessWarning.objects.bulk_create(warnings, batch_size=2000)

    blocked = services.plan_drop(
        program=programs[0],
        by=admin,
        name=BLOCKED_NAME,
        channel=DropChannel.MAIL,
        drop_at=next_monday + timedelta(days=1, hours=9),
        audience_size=120_000,
        expected_response_rate=0.03,
    )
    for gate in (Gate.SCRIPTS, Gate.FAQS, Gate.TOOLS, Gate.TRAINING):
        services.pass_gate(drop=blocked, gate=gate, by=admin)
    past_count = sum(1 for d in drops if d.state == DropState.DROPPED)
    surveyed = _program_surveys(drops, now)
    return [
        f"Demo drops: {len(drops) + 1} over a quarter on {len(programs)} programs "
        f"({past_count} past with {len(actuals)} actual intervals), {AGENTS} agents on "
        f"{shift_count} shifts with a gap on {gap_day:%a %d %b} afternoon, and "
        f"'{BLOCKED_NAME}' waiting for its test call; {surveyed} program surveys after drops."
    ]


def _program_surveys(drops: list[Drop], now: datetime) -> int:
    """The CSAT survey the follow-up playbook sends two weeks after a drop, for the
    latest few drops that far back (the Voice page shows them beside their figures)."""
    csat = SurveyDefinition.objects.get(code="csat")
    due = [d for d in drops if d.drop_at <= now - timedelta(days=SURVEY_AFTER_DAYS)]
    sent = 0
    for drop in sorted(due, key=lambda d: d.drop_at)[-SURVEYED_DROPS:]:
        if drop.program.client.contacts.exclude(email="").exists():
            dispatch_survey(
                definition=csat, client=drop.program.client, cause="demo", about=("drop", drop.pk)
            )
            sent += 1
    return sent
