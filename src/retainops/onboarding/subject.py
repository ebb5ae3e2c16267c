"""A program as a playbook subject: its fields, anchors, event, checks, and what its
steps do to it (mark it live)."""

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from retainops.core.audit import save_audited
from retainops.core.errors import invalid
from retainops.core.events import emit
from retainops.onboarding import events, services
from retainops.onboarding.choices import ProofDecision
from retainops.onboarding.models import Program
from retainops.onboarding.requirements import missing_details
from retainops.onboarding.variables import program_variables
from retainops.playbooks.models import Run
from retainops.playbooks.subjects import Check, SubjectType, register_subject


def _load(pk: int) -> Program:
    return Program.objects.select_related("client__business_unit").get(pk=pk)


def _end_of(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min)) + timedelta(days=1)


def _values(program: Program) -> dict[str, Any]:
    lines = list(program.lines.select_related("service"))
    return {
        "name": program.name,
        "status": program.status,
        "services": sorted(line.service.code for line in lines),
        "monthly_budget": float(sum(line.monthly_budget for line in lines)),
        "flight_days": (program.end_date - program.start_date).days + 1,
        "missing_details": len(missing_details(program)),
    }


def _anchors(program: Program) -> dict[str, datetime]:
    anchors = {"flight_end": _end_of(program.end_date)}
    if program.sold_at:
        anchors["sold"] = program.sold_at
    if program.go_live_at:
        anchors["go_live"] = program.go_live_at
    return anchors


def unapproved_proofs(program: Program) -> list[str]:
    """Creative and targeting not yet approved in their latest version (and a kind with none)."""
    waiting: list[str] = []
    kinds_seen = set()
    for proof in program.proofs.prefetch_related("versions"):
        kinds_seen.add(proof.kind)
        latest = max(proof.versions.all(), key=lambda v: v.number, default=None)
        if latest is None or latest.decision != ProofDecision.APPROVED:
            waiting.append(f"{proof.get_kind_display().lower()} '{proof.title}'")
    for kind, label in (("creative", "creative"), ("targeting", "targeting")):
        if kind not in kinds_seen:
            waiting.append(f"no {label} uploaded yet")
    return waiting


@transaction.atomic
def mark_live(program: Program, *, run: Run, by: Any) -> None:
    """The campaign went live now (the go-live step is done): status, and the dates that
    follow go-live (QA, the onboarding meeting...) reckoned from the real moment."""
    if run.subject_type != "program" or run.subject_id != program.pk:
        raise PermissionDenied(f"Run {run.pk} is not an onboarding of program {program.pk}.")
    program.refresh_from_db(from_queryset=Program.objects.select_for_update())
    if not can_proceed(program.go_live):
        raise invalid(
            "status", f"A program that is {program.get_status_display().lower()} cannot go live."
        )
    now = timezone.now()
    program.go_live()
    program.went_live_at = now
    program.go_live_at = now
    save_audited(program, by, "status: live")
    services.move_go_live(program, now, by)
    emit(events.ProgramWentLive(program=program, by=by))


def register() -> None:
    register_subject(
        SubjectType(
            code="program",
            label="Program",
            load=_load,
            client_of=lambda program: program.client,
            values=_values,
            anchor_values=_anchors,
            requester=lambda program: program.sold_by,
            fields={
                "name": "the program's name",
                "status": "draft, sold, live, ended or cancelled",
                "services": "codes of its services, e.g. 'sem' in services",
                "monthly_budget": "the sum of its services' monthly budgets",
                "flight_days": "days from the first to the last day of the flight",
                "missing_details": "how many required order details are still missing",
            },
            anchors={
                "sold": "when the program was marked sold",
                "go_live": "the planned go-live, then the actual one",
                "flight_end": "the end of the flight's last day",
            },
            events={"program.sold": "a program is marked sold"},
            checks={
                "details_complete": Check(
                    "Order detail",
                    lambda p: [f"{m.label} ({m.service})" for m in missing_details(p)],
                ),
                "proofs_approved": Check("Client approval", unapproved_proofs),
            },
            actions={"mark_live": mark_live},
            variables=program_variables,
        )
    )
