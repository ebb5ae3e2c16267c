"""A program as a playbook subject: its fields, anchors, event, checks and actions, and
the `program` variables of message templates."""

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from retainops.onboarding.choices import ProofDecision
from retainops.onboarding.models import Program
from retainops.onboarding.requirements import missing_details
from retainops.playbooks.subjects import Check, SubjectType, register_subject

PROGRAM_VARIABLES: dict[str, Any] = {
    "name": None,
    "services": None,
    "start_date": None,
    "end_date": None,
    "go_live": None,
    "portal_link": None,
    "missing_count": None,
    "missing": [{"label": None, "service": None}],
}


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


def _mark_live(program: Program, *, by: Any) -> None:
    from retainops.onboarding.services import record_go_live

    record_go_live(program=program, by=by)


def program_variables(program: Program) -> dict[str, Any]:
    from retainops.onboarding.services import current_portal_url

    missing = missing_details(program)
    go_live = (
        timezone.localtime(program.go_live_at).strftime("%d %B %Y") if program.go_live_at else ""
    )
    return {
        "program": {
            "name": program.name,
            "services": ", ".join(
                line.service.name for line in program.lines.select_related("service")
            ),
            "start_date": program.start_date,
            "end_date": program.end_date,
            "go_live": go_live,
            "portal_link": current_portal_url(program),
            "missing_count": len(missing),
            "missing": [{"label": m.label, "service": m.service} for m in missing],
        }
    }


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
            actions={"mark_live": _mark_live},
            variables=program_variables,
        )
    )
