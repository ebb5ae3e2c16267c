"""API for drops: the Erlang C calculator, the marketing calendar and each drop's gates,
the week's staffing, the roster, response profiles, training packs and results.

Thin, like the pages: each endpoint finds the drop among those the caller sees (another
unit's is "not found") and calls the same service as the pages; impossible inputs
answer 422 naming the field."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router

from retainops.core.schemas import Id
from retainops.drops import forecast, queries, services
from retainops.drops.models import Agent, Drop, ResponseProfile, TrainingPack
from retainops.drops.schemas import (
    AckIn,
    CsvIn,
    DropIn,
    DropOut,
    ErlangCIn,
    ErlangCOut,
    GateIn,
    OutcomeIn,
    PackIn,
    PackOut,
    ProfileIn,
    ProfileOut,
    ReadyIn,
    ResultOut,
    ShiftIn,
    ShiftOut,
    WeekOut,
)
from retainops.onboarding.queries import visible_programs as programs_for
from retainops.stats import erlang

router = Router(tags=["drops"])


@router.post("/staffing/erlang-c", response=ErlangCOut)
def erlang_c(request: HttpRequest, payload: ErlangCIn) -> Any:
    """Agents for one interval's contacts at a service level, occupancy cap and shrinkage."""
    inputs = payload.dict()
    if problems := erlang.check_inputs(**inputs):
        raise ValidationError({field: [message] for field, message in problems.items()})
    return erlang.staff(**inputs)


def _drop_out(drop: Drop) -> dict[str, Any]:
    return {
        "id": drop.pk,
        "name": drop.name,
        "program": drop.program_id,
        "client": drop.program.client_id,
        "channel": drop.channel,
        "drop_at": drop.drop_at,
        "audience_size": drop.audience_size,
        "expected_response_rate": drop.expected_response_rate,
        "state": drop.state,
        "owner": str(drop.owner),
        "override_reason": drop.override_reason,
        "gates": [
            {
                "gate": g.gate,
                "label": g.get_gate_display(),
                "open": g.is_open,
                "test_call_at": g.test_call_at,
                "passed_at": g.passed_at,
            }
            for g in drop.gates.all()
        ],
    }


def _drop(request: HttpRequest, drop_id: int) -> Drop:
    return get_object_or_404(queries.drops_for(request.user), pk=drop_id)


@router.get("/drops", response=list[DropOut])
def list_drops(
    request: HttpRequest, start: datetime | None = None, end: datetime | None = None
) -> Any:
    drops = queries.drops_for(request.user).prefetch_related("gates")
    if start:
        drops = drops.filter(drop_at__gte=start)
    if end:
        drops = drops.filter(drop_at__lt=end)
    return [_drop_out(d) for d in drops[:500]]


@router.post("/drops", response={201: DropOut})
def plan_drop(request: HttpRequest, payload: DropIn) -> Any:
    program = get_object_or_404(programs_for(request.user), pk=payload.program)
    drop = services.plan_drop(program=program, by=request.user, **payload.dict(exclude={"program"}))
    return 201, _drop_out(drop)


@router.get("/drops/{drop_id}", response=DropOut)
def get_drop(request: HttpRequest, drop_id: int) -> Any:
    return _drop_out(_drop(request, drop_id))


@router.post("/drops/{drop_id}/test-call", response=DropOut)
def test_call(request: HttpRequest, drop_id: int, payload: GateIn) -> Any:
    drop = _drop(request, drop_id)
    services.record_test_call(drop=drop, by=request.user, note=payload.note)
    return _drop_out(drop)


@router.post("/drops/{drop_id}/gates/{gate}/pass", response=DropOut)
def pass_gate(request: HttpRequest, drop_id: int, gate: str, payload: GateIn) -> Any:
    drop = _drop(request, drop_id)
    services.pass_gate(drop=drop, gate=gate, by=request.user, note=payload.note)
    return _drop_out(drop)


@router.post("/drops/{drop_id}/ready", response=DropOut)
def mark_ready(request: HttpRequest, drop_id: int, payload: ReadyIn) -> Any:
    drop = services.mark_ready(
        drop=_drop(request, drop_id), by=request.user, override_reason=payload.override_reason
    )
    return _drop_out(drop)


@router.post("/drops/{drop_id}/actuals", response=ResultOut)
def import_actuals(request: HttpRequest, drop_id: int, payload: CsvIn) -> Any:
    drop = _drop(request, drop_id)
    services.import_actuals(drop=drop, by=request.user, text=payload.csv)
    return queries.result_of(Drop.objects.get(pk=drop.pk))


@router.put("/drops/{drop_id}/outcome", response=ResultOut)
def record_outcome(request: HttpRequest, drop_id: int, payload: OutcomeIn) -> Any:
    drop = services.record_outcome(
        drop=_drop(request, drop_id), by=request.user, outcome=services.Outcome(**payload.dict())
    )
    return queries.result_of(drop)


@router.get("/drops/{drop_id}/results", response=ResultOut)
def drop_results(request: HttpRequest, drop_id: int) -> Any:
    return queries.result_of(_drop(request, drop_id))


@router.get("/staffing/week", response=WeekOut)
def week(request: HttpRequest, start: datetime, unit: Id | None = None) -> Any:
    """The week's expected contacts, agents needed and scheduled per 30-minute interval."""
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    staffing = forecast.week_staffing(start, unit_id=unit)
    return {
        "starts_at": staffing.starts_at,
        "intervals": [
            {
                "starts_at": i.starts_at,
                "contacts": i.contacts,
                "agents": i.agents,
                "needed": i.needed,
                "scheduled": i.scheduled,
                "gap": i.gap,
            }
            for i in staffing.intervals
            if i.contacts or i.scheduled
        ],
    }


@router.post("/roster/shifts", response={201: ShiftOut})
def add_shift(request: HttpRequest, payload: ShiftIn) -> Any:
    shift = services.add_shift(by=request.user, **payload.dict())
    return 201, {
        "id": shift.pk,
        "agent": shift.agent.name,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
    }


@router.post("/roster/import", response={201: list[ShiftOut]})
def import_roster(request: HttpRequest, payload: CsvIn) -> Any:
    shifts = services.import_roster(by=request.user, text=payload.csv)
    return 201, [
        {"id": s.pk, "agent": s.agent.name, "starts_at": s.starts_at, "ends_at": s.ends_at}
        for s in shifts
    ]


@router.get("/response-profiles", response=list[ProfileOut])
def profiles(request: HttpRequest) -> Any:
    return list(ResponseProfile.objects.all())


@router.put("/response-profiles/{channel}", response=ProfileOut)
def save_profile(request: HttpRequest, channel: str, payload: ProfileIn) -> Any:
    get_object_or_404(ResponseProfile, channel=channel)
    return services.save_profile(channel=channel, by=request.user, **payload.dict())


def _pack_out(pack: TrainingPack) -> dict[str, Any]:
    return {
        "id": pack.pk,
        "program": pack.program_id,
        "version": pack.version,
        "acknowledged_by": [a.agent.email for a in pack.acknowledgements.select_related("agent")],
    }


@router.post("/training-packs", response={201: PackOut})
def publish_pack(request: HttpRequest, payload: PackIn) -> Any:
    program = get_object_or_404(programs_for(request.user), pk=payload.program)
    pack = services.publish_training_pack(
        program=program,
        by=request.user,
        scripts=payload.scripts,
        scenarios=payload.scenarios,
        faqs=payload.faqs,
    )
    return 201, _pack_out(pack)


@router.post("/training-packs/{pack_id}/acknowledge", response=PackOut)
def acknowledge(request: HttpRequest, pack_id: int, payload: AckIn) -> Any:
    # A pack is its program's: another unit's is "not found", as on the program's page.
    packs = TrainingPack.objects.filter(program__in=programs_for(request.user))
    pack = get_object_or_404(packs, pk=pack_id)
    agent = get_object_or_404(Agent, email=payload.agent_email.strip().lower())
    services.acknowledge_pack(pack=pack, agent=agent, by=request.user)
    return _pack_out(pack)
