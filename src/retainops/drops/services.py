"""Operations on drops, the roster, training packs and results. Each is keyword-only,
one transaction, checks the person's capability (and the client's unit) inside, writes
a line of the drop's timeline where it concerns one, and emits its event.

Bad input is refused with every problem named by field and nothing written: a CSV
import names each bad row and writes none of them.
"""

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from retainops.core.access import require_capability, require_unit_access
from retainops.core.capabilities import Capability
from retainops.core.errors import Problems, invalid
from retainops.core.events import emit
from retainops.drops import events
from retainops.drops.choices import AnswerChannel, DropChannel, DropState, Gate
from retainops.drops.models import (
    INTERVAL,
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
from retainops.onboarding.models import Program
from retainops.playbooks import services as playbooks

WARN_DAYS_BEFORE = (7, 2)
ROSTER_WINDOW = timedelta(days=7)


def require_planner(by: Any, program: Program | None = None) -> None:
    require_capability(by, Capability.PLAN_DROPS)
    if program is not None:
        require_unit_access(by, program.client.business_unit_id)


def _log(drop: Drop, by: Any, what: str, note: str = "") -> None:
    DropActivity.objects.create(
        drop=drop, by=by if getattr(by, "pk", None) else None, what=what[:300], note=note.strip()
    )


@transaction.atomic
def plan_drop(
    *,
    program: Program,
    by: Any,
    name: str,
    channel: str,
    drop_at: datetime,
    audience_size: int,
    expected_response_rate: float,
    owner: Any = None,
    readiness_lead_days: int = 14,
) -> Drop:
    """Put a drop on the calendar with its five gates open and its warnings set."""
    require_planner(by, program)
    problems = Problems()
    if channel not in DropChannel.values:
        problems.add("channel", "Choose mail, banner, tv, print, email_blast or outbound.")
    if audience_size is None or audience_size < 0:
        problems.add("audience_size", "The audience cannot be negative.")
    if expected_response_rate is None or not 0 <= expected_response_rate <= 1:
        problems.add("expected_response_rate", "The response rate is a share between 0 and 1.")
    if drop_at is None or timezone.is_naive(drop_at):
        problems.add("drop_at", "Give the drop's date and time with its time zone.")
    drop = Drop(
        program=program,
        name=(name or "").strip(),
        channel=channel,
        drop_at=drop_at,
        audience_size=max(audience_size or 0, 0),
        expected_response_rate=expected_response_rate or 0,
        owner=owner or by,
        readiness_lead_days=readiness_lead_days,
    )
    problems.check(drop, exclude=("program", "owner"))
    problems.raise_if_any()
    drop.save()
    DropGate.objects.bulk_create(DropGate(drop=drop, gate=g) for g in Gate.values)
    _schedule_warnings(drop)
    _log(drop, by, f"planned: {drop.get_channel_display()} to {drop.audience_size} people")
    emit(
        events.DropPlanned(
            drop=drop,
            by=by,
            anchors={
                "drop": drop.drop_at,
                "readiness": drop.drop_at - timedelta(days=drop.readiness_lead_days),
            },
        )
    )
    return drop


def _schedule_warnings(drop: Drop) -> None:
    now = timezone.now()
    ReadinessWarning.objects.filter(drop=drop, fired_at__isnull=True).delete()
    ReadinessWarning.objects.bulk_create(
        ReadinessWarning(drop=drop, days_before=days, due_at=drop.drop_at - timedelta(days=days))
        for days in WARN_DAYS_BEFORE
        if drop.drop_at - timedelta(days=days) > now
    )


def _locked(drop: Drop) -> Drop:
    return Drop.objects.select_for_update().select_related("program__client").get(pk=drop.pk)


@transaction.atomic
def record_test_call(*, drop: Drop, by: Any, note: str = "") -> DropGate:
    """A test call went through the phone menu to the right queue."""
    drop = _locked(drop)
    require_planner(by, drop.program)
    gate = drop.gates.get(gate=Gate.ROUTING)
    gate.test_call_at = timezone.now()
    gate.note = note.strip() or gate.note
    gate.save(update_fields=["test_call_at", "note"])
    _log(drop, by, "test call made through the phone menu", note)
    return gate


def rostered_agents(drop: Drop) -> list[Agent]:
    """Agents with a shift in the week after the drop goes out."""
    ids = Shift.objects.filter(
        starts_at__lt=drop.drop_at + ROSTER_WINDOW, ends_at__gt=drop.drop_at, agent__is_active=True
    ).values_list("agent_id", flat=True)
    return list(Agent.objects.filter(pk__in=ids))


def latest_pack(program: Program) -> TrainingPack | None:
    return TrainingPack.objects.filter(program=program).order_by("-version").first()


def untrained_agents(drop: Drop) -> list[str]:
    """Why the training gate is still open: rostered agents without the latest pack."""
    agents = rostered_agents(drop)
    if not agents:
        return ["no agent is rostered for the week of the drop"]
    pack = latest_pack(drop.program)
    if pack is None:
        return ["the program has no training pack yet"]
    acknowledged = set(pack.acknowledgements.values_list("agent_id", flat=True))
    return [
        f"{a.name} has not acknowledged v{pack.version}" for a in agents if a.pk not in acknowledged
    ]


@transaction.atomic
def pass_gate(*, drop: Drop, gate: str, by: Any, note: str = "") -> DropGate:
    """Close one gate: routing only after a test call, training only when every rostered
    agent acknowledged the latest pack."""
    drop = _locked(drop)
    require_planner(by, drop.program)
    if gate not in Gate.values:
        raise invalid("gate", "Choose routing, scripts, faqs, tools or training.")
    row = drop.gates.get(gate=gate)
    if not row.is_open:
        raise invalid("gate", f"{row.get_gate_display()} was already passed.")
    if gate == Gate.ROUTING and row.test_call_at is None:
        raise invalid("gate", "Make a test call through the phone menu before passing routing.")
    if gate == Gate.TRAINING and (missing := untrained_agents(drop)):
        raise invalid("gate", "Training is not delivered: " + "; ".join(missing) + ".")
    if gate in (Gate.SCRIPTS, Gate.FAQS) and latest_pack(drop.program) is None:
        raise invalid(
            "gate", "Publish the program's training pack (scripts, scenarios, FAQs) first."
        )
    row.passed_at = timezone.now()
    row.passed_by = by
    row.note = note.strip() or row.note
    row.save(update_fields=["passed_at", "passed_by", "note"])
    _log(drop, by, f"gate passed: {row.get_gate_display()}", note)
    emit(events.GatePassed(drop=drop, gate=row, by=by))
    # The readiness playbook's step for this gate completes by itself.
    playbooks.complete_met_steps(subject_type="drop", subject_id=drop.pk, by=by)
    return row


def open_gates(drop: Drop) -> list[DropGate]:
    return [g for g in drop.gates.all() if g.is_open]


@transaction.atomic
def mark_ready(*, drop: Drop, by: Any, override_reason: str = "") -> Drop:
    """Ready when every gate is passed; with gates open only by someone who may override,
    giving a reason, which goes on the timeline."""
    drop = _locked(drop)
    require_planner(by, drop.program)
    if drop.state != DropState.PLANNED:
        raise invalid(
            "state", f"A drop that is {drop.get_state_display().lower()} cannot be marked ready."
        )
    still_open = open_gates(drop)
    reason = (override_reason or "").strip()
    if still_open and not reason:
        names = ", ".join(g.get_gate_display().lower() for g in still_open)
        raise invalid("gates", f"Gates still open: {names}.")
    if still_open:
        require_capability(by, Capability.OVERRIDE_DROP_READINESS)
    drop.mark_ready()
    drop.ready_at = timezone.now()
    drop.override_reason = reason if still_open else ""
    drop.save(update_fields=["state", "ready_at", "override_reason"])
    if still_open:
        names = ", ".join(g.gate for g in still_open)
        _log(drop, by, f"marked ready by override with open gates: {names}", reason)
    else:
        _log(drop, by, "marked ready: every gate passed")
    emit(events.DropReady(drop=drop, by=by, overridden=bool(still_open)))
    return drop


@transaction.atomic
def mark_dropped(*, drop: Drop, by: Any) -> Drop:
    drop = _locked(drop)
    require_planner(by, drop.program)
    if drop.state not in (DropState.PLANNED, DropState.READY):
        raise invalid("state", "Only a planned or ready drop can go out.")
    drop.mark_dropped()
    drop.save(update_fields=["state"])
    _log(drop, by, "dropped")
    return drop


@transaction.atomic
def save_profile(
    *,
    channel: str,
    by: Any,
    half_life_hours: float,
    span_hours: int,
    phone: float,
    chat: float,
    email: float,
) -> ResponseProfile:
    """Edit how responses to a kind of drop spread and split."""
    require_capability(by, Capability.PLAN_DROPS)
    profile = ResponseProfile.objects.select_for_update().get(channel=channel)
    problems = Problems()
    if not math.isclose(phone + chat + email, 1.0, abs_tol=1e-6):
        problems.add("phone", "Phone, chat and e-mail shares must add up to 1.")
    profile.half_life_hours, profile.span_hours = half_life_hours, span_hours
    profile.phone, profile.chat, profile.email = phone, chat, email
    problems.check(profile)
    problems.raise_if_any()
    profile.revision += 1
    profile.save()
    return profile


# Roster ------------------------------------------------------------------------------


def _agent(email: str, name: str) -> Agent:
    agent, _ = Agent.objects.get_or_create(
        email=email.strip().lower(), defaults={"name": name.strip() or email}
    )
    return agent


def _check_shift(problems: Problems, prefix: str, email: str, starts: Any, ends: Any) -> None:
    if not email or "@" not in email:
        problems.add(f"{prefix}email", "Give the agent's e-mail address.")
    if not isinstance(starts, datetime) or timezone.is_naive(starts):
        problems.add(
            f"{prefix}starts_at", "Give the start as an ISO date and time with its offset."
        )
    if not isinstance(ends, datetime) or timezone.is_naive(ends):
        problems.add(f"{prefix}ends_at", "Give the end as an ISO date and time with its offset.")
    elif isinstance(starts, datetime) and ends <= starts:
        problems.add(f"{prefix}ends_at", "The shift must end after it starts.")
    elif isinstance(starts, datetime) and ends - starts > timedelta(hours=16):
        problems.add(f"{prefix}ends_at", "A shift longer than 16 hours is a typing mistake.")


@transaction.atomic
def add_shift(*, by: Any, email: str, name: str, starts_at: datetime, ends_at: datetime) -> Shift:
    require_capability(by, Capability.PLAN_DROPS)
    problems = Problems()
    _check_shift(problems, "", email, starts_at, ends_at)
    problems.raise_if_any()
    return Shift.objects.create(agent=_agent(email, name), starts_at=starts_at, ends_at=ends_at)


@transaction.atomic
def import_roster(*, by: Any, text: str) -> list[Shift]:
    """Shifts from CSV with columns name,email,starts_at,ends_at (ISO times with offsets)."""
    require_capability(by, Capability.PLAN_DROPS)
    rows = _csv_rows(text, {"name", "email", "starts_at", "ends_at"})
    problems = Problems()
    parsed: list[tuple[dict[str, str], Any, Any]] = []
    for number, row in rows:
        starts, ends = _when(row.get("starts_at")), _when(row.get("ends_at"))
        _check_shift(problems, f"row {number}.", row.get("email", ""), starts, ends)
        parsed.append((row, starts, ends))
    problems.raise_if_any()
    return [
        Shift.objects.create(
            agent=_agent(row["email"], row.get("name", "")), starts_at=s, ends_at=e
        )
        for row, s, e in parsed
    ]


def _csv_rows(text: str, needed: set[str]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO((text or "").strip()))
    columns = {c.strip() for c in reader.fieldnames or []}
    if missing := needed - columns:
        raise invalid("file", "The CSV needs the columns " + ", ".join(sorted(missing)) + ".")
    rows = [
        (n, {k.strip(): (v or "").strip() for k, v in r.items() if k})
        for n, r in enumerate(reader, start=2)
    ]
    if not rows:
        raise invalid("file", "The CSV has no rows.")
    return rows


def _when(value: str | None) -> datetime | None:
    try:
        return parse_datetime(value or "")
    except ValueError:
        return None


# Training packs ----------------------------------------------------------------------


@transaction.atomic
def publish_training_pack(
    *, program: Program, by: Any, scripts: str, scenarios: str, faqs: str
) -> TrainingPack:
    """A new version of the program's scripts, scenarios and FAQs (agents acknowledge it anew)."""
    require_planner(by, program)
    if not any(part.strip() for part in (scripts, scenarios, faqs)):
        raise invalid("scripts", "Write at least the scripts, scenarios or FAQs.")
    Program.objects.select_for_update().filter(pk=program.pk).first()
    previous = latest_pack(program)
    return TrainingPack.objects.create(
        program=program,
        version=(previous.version + 1) if previous else 1,
        scripts=scripts.strip(),
        scenarios=scenarios.strip(),
        faqs=faqs.strip(),
        published_by=by,
    )


@transaction.atomic
def acknowledge_pack(*, pack: TrainingPack, agent: Agent, by: Any) -> Acknowledgement:
    """The agent read this version; themselves or a planner on their behalf."""
    if not (agent.user_id and getattr(by, "pk", None) == agent.user_id):
        require_capability(by, Capability.PLAN_DROPS)
    ack, _ = Acknowledgement.objects.get_or_create(pack=pack, agent=agent)
    return ack


# Results -----------------------------------------------------------------------------


@transaction.atomic
def import_actuals(*, drop: Drop, by: Any, text: str) -> list[ActualInterval]:
    """Actual contacts per interval from the contact centre: columns interval_start,
    answer_channel, contacts. Replaces the drop's earlier actuals; adjusts its channel's
    default profile (see `learn_from_actuals`)."""
    drop = _locked(drop)
    require_planner(by, drop.program)
    rows = _csv_rows(text, {"interval_start", "answer_channel", "contacts"})
    problems = Problems()
    parsed: dict[tuple[str, datetime], int] = {}
    for number, row in rows:
        at = _when(row.get("interval_start"))
        channel = row.get("answer_channel", "")
        if at is None or timezone.is_naive(at):
            problems.add(
                f"row {number}.interval_start", "Give an ISO date and time with its offset."
            )
        elif at.minute not in (0, 30) or at.second:
            problems.add(
                f"row {number}.interval_start", "Intervals start on the hour or the half hour."
            )
        if channel not in AnswerChannel.values:
            problems.add(f"row {number}.answer_channel", "Choose phone, chat or email.")
        try:
            contacts = int(row.get("contacts", ""))
            if contacts < 0:
                raise ValueError
        except ValueError:
            problems.add(f"row {number}.contacts", "Contacts are a whole number, 0 or more.")
            contacts = 0
        if at is not None and channel:
            if (channel, at) in parsed:
                problems.add(
                    f"row {number}.interval_start", "This interval and channel appear twice."
                )
            parsed[(channel, at)] = contacts
    problems.raise_if_any()
    ActualInterval.objects.filter(drop=drop).delete()
    created = ActualInterval.objects.bulk_create(
        ActualInterval(drop=drop, answer_channel=c, starts_at=at, contacts=n)
        for (c, at), n in parsed.items()
    )
    learn_from_actuals(drop)
    _log(drop, by, f"actual contacts imported: {sum(parsed.values())} in {len(parsed)} intervals")
    emit(events.DropResultsRecorded(drop=drop, by=by))
    return created


def learn_from_actuals(drop: Drop) -> ResponseProfile | None:
    """Feed the drop's actuals back into its channel's default profile.

    The observed half-life comes from the mean delay of the actual contacts after the
    drop (for an exponential decay, half-life = mean delay x ln 2); the observed split
    from their channels. Each is averaged into the profile with the weight of the drops
    that shaped it already (the starting value counts as one), so one odd drop moves it
    a little and many move it to what they show."""
    actuals = list(drop.actuals.all())
    total = sum(a.contacts for a in actuals)
    if not total:
        return None
    profile = ResponseProfile.objects.select_for_update().get(channel=drop.channel)
    mean_hours = (
        sum(a.contacts * ((a.starts_at - drop.drop_at) / INTERVAL + 0.5) * 0.5 for a in actuals)
        / total
    )
    observed_half_life = max(0.25, mean_hours * math.log(2))
    weight = profile.adjusted_from + 1
    profile.half_life_hours = (profile.half_life_hours * weight + observed_half_life) / (weight + 1)
    split = {
        c: sum(a.contacts for a in actuals if a.answer_channel == c) / total
        for c in AnswerChannel.values
    }
    for channel, share in split.items():
        setattr(profile, channel, (getattr(profile, channel) * weight + share) / (weight + 1))
    profile.adjusted_from += 1
    profile.revision += 1
    profile.save()
    return profile


@dataclass
class Outcome:
    conversions: int | None
    sales: Decimal | None
    customers_acquired: int | None


@transaction.atomic
def record_outcome(*, drop: Drop, by: Any, outcome: Outcome) -> Drop:
    """Conversions, sales and customers acquired from the drop."""
    drop = _locked(drop)
    require_planner(by, drop.program)
    problems = Problems()
    for field in ("conversions", "sales", "customers_acquired"):
        value = getattr(outcome, field)
        if value is not None and value < 0:
            problems.add(field, "Cannot be negative.")
    problems.raise_if_any()
    drop.conversions, drop.sales, drop.customers_acquired = (
        outcome.conversions,
        outcome.sales,
        outcome.customers_acquired,
    )
    drop.save(update_fields=["conversions", "sales", "customers_acquired"])
    _log(drop, by, "results recorded")
    emit(events.DropResultsRecorded(drop=drop, by=by))
    return drop


def refuse(field: str, message: str) -> ValidationError:
    return invalid(field, message)
