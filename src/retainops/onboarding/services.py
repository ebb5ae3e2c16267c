"""Operations on programs, their purchase orders, portal links and proofs.

Staff operations check capabilities and the client's business unit; portal
operations take a resolved portal link instead of a person and can touch that
link's program only. Each runs in one transaction; after a change that may
satisfy a step (a detail supplied, a proof approved), the steps waiting for it
complete by themselves.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from retainops.clients.models import Client, ServiceLine
from retainops.core.access import require_capability, require_unit_access
from retainops.core.audit import save_audited
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.events import emit
from retainops.messaging.services import Outgoing, queue_from_template, queue_message
from retainops.onboarding import events, queries
from retainops.onboarding.choices import ProgramStatus, ProofDecision, ProofKind
from retainops.onboarding.models import (
    PortalLink,
    Program,
    ProgramService,
    Proof,
    ProofVersion,
)
from retainops.onboarding.requirements import cleaned_details, missing_details
from retainops.onboarding.variables import current_portal_url, program_variables
from retainops.playbooks import services as playbooks

MAX_PROOF_BYTES = 20 * 1024 * 1024


@dataclass
class Line:
    service: ServiceLine
    monthly_budget: Decimal


@dataclass
class ProofUpload:
    filename: str
    content_type: str
    content: bytes


def _require_editor(by: Any, program: Program | Client) -> None:
    client = program if isinstance(program, Client) else program.client
    require_capability(by, Capability.EDIT_CLIENT)
    require_unit_access(by, client.business_unit_id)


def _check_flight(start: date | None, end: date | None) -> None:
    if start is None or end is None:
        raise ValidationError({"start_date": ["Give the flight's first and last day."]})
    if end < start:
        raise invalid("end_date", "The flight ends before it starts.")


def _set_lines(program: Program, lines: list[Line], by: Any) -> None:
    if not lines:
        raise invalid("lines", "A program has at least one service.")
    codes = [line.service.code for line in lines]
    if len(set(codes)) != len(codes):
        raise invalid("lines", "Each service appears once.")
    for line in lines:
        if line.monthly_budget < 0:
            raise invalid("lines", f"{line.service}: a budget cannot be negative.")
    for old in program.lines.all():
        old._history_user = by  # type: ignore[attr-defined]
        old.delete()
    for line in lines:
        # One save per row, not bulk_create: each line gets its history entry.
        row = ProgramService(
            program=program, service=line.service, monthly_budget=line.monthly_budget
        )
        save_audited(row, by)


@transaction.atomic
def create_program(
    *,
    by: Any,
    client: Client,
    name: str,
    start_date: date,
    end_date: date,
    lines: list[Line],
    details: dict[str, Any] | None = None,
    go_live_at: datetime | None = None,
) -> Program:
    """Record a program being sold (a draft until marked sold), with its order so far."""
    require_capability(by, Capability.EDIT_CONTRACT)
    require_unit_access(by, client.business_unit_id)
    if not name.strip():
        raise invalid("name", "Give the program a name.")
    _check_flight(start_date, end_date)
    program = Program(
        client=client,
        name=name.strip(),
        start_date=start_date,
        end_date=end_date,
        go_live_at=go_live_at,
    )
    save_audited(program, by, "created")
    _set_lines(program, lines, by)
    if details:
        cleaned = cleaned_details(program, details)
        program.details = {key: value for key, value in cleaned.items() if value}
        save_audited(program, by, "order details")
    emit(events.ProgramCreated(program=program, by=by))
    return program


@transaction.atomic
def update_order(*, by: Any, program: Program, details: dict[str, Any]) -> Program:
    """Change purchase-order details (an empty value clears one); every bad value is named."""
    _require_editor(by, program)
    return _apply_details(program, details, by=by, reason="order details")


def _apply_details(program: Program, details: dict[str, Any], *, by: Any, reason: str) -> Program:
    program = Program.objects.select_for_update().select_related("client").get(pk=program.pk)
    cleaned = cleaned_details(program, details)
    merged = {**program.details, **cleaned}
    program.details = {key: value for key, value in merged.items() if value}
    save_audited(program, by, reason)
    emit(events.ProgramOrderChanged(program=program, by=by))
    _complete_met_steps(program, by)
    return program


def _complete_met_steps(program: Program, by: Any) -> None:
    playbooks.complete_met_steps(subject_type="program", subject_id=program.pk, by=by)


@transaction.atomic
def set_program_lines(*, by: Any, program: Program, lines: list[Line]) -> Program:
    require_capability(by, Capability.EDIT_CONTRACT)
    require_unit_access(by, program.client.business_unit_id)
    program = _lock_open_program(program)
    _set_lines(program, lines, by)
    emit(events.ProgramOrderChanged(program=program, by=by))
    # Fewer services may need fewer details: a step waiting for them may be done now.
    _complete_met_steps(program, by)
    return program


def _lock_open_program(program: Program) -> Program:
    """The program, locked, if it is still being set up or run (not ended or cancelled)."""
    program = Program.objects.select_for_update().select_related("client").get(pk=program.pk)
    if program.status in (ProgramStatus.ENDED, ProgramStatus.CANCELLED):
        raise invalid("status", f"This program is {program.get_status_display().lower()}.")
    return program


@transaction.atomic
def mark_program_sold(*, by: Any, program: Program) -> Program:
    """The order is signed: onboarding starts (the playbooks triggered by the sale), and
    a portal link for the client's contacts is made."""
    require_capability(by, Capability.EDIT_CONTRACT)
    require_unit_access(by, program.client.business_unit_id)
    program = Program.objects.select_for_update().select_related("client").get(pk=program.pk)
    if not can_proceed(program.mark_sold):
        raise invalid(
            "status",
            f"A program that is {program.get_status_display().lower()} cannot be sold again.",
        )
    program.mark_sold()
    program.sold_at = timezone.now()
    program.sold_by = by
    save_audited(program, by, "status: sold")
    PortalLink.objects.create(program=program, created_by=by)
    anchors = {"sold": program.sold_at}
    if program.go_live_at:
        anchors["go_live"] = program.go_live_at
    emit(events.ProgramSold(program=program, by=by, anchors=anchors))
    return program


def move_go_live(program: Program, at: datetime, by: Any) -> None:
    """Every date of the program's runs that hangs on go-live follows it."""
    playbooks.move_subject_anchor(
        by=by, subject_type="program", subject_id=program.pk, name="go_live", at=at
    )


@transaction.atomic
def plan_go_live(*, by: Any, program: Program, at: datetime) -> Program:
    """Set or move the planned go-live: every date hanging on it moves, invitations too."""
    _require_editor(by, program)
    if timezone.is_naive(at):
        raise invalid("go_live_at", "Give the time with its time zone.")
    program = _lock_open_program(program)
    if program.went_live_at is not None:
        raise invalid("go_live_at", "The program is already live.")
    program.go_live_at = at
    save_audited(program, by, "go-live planned")
    move_go_live(program, at, by)
    emit(events.GoLivePlanned(program=program, by=by))
    return program


# Portal links ---------------------------------------------------------------------------


@transaction.atomic
def issue_portal_link(*, by: Any, program: Program) -> PortalLink:
    _require_editor(by, program)
    link = PortalLink.objects.create(program=program, created_by=by)
    emit(events.PortalLinkChanged(program=program, link=link, change="issued", by=by))
    return link


@transaction.atomic
def revoke_portal_link(*, by: Any, link: PortalLink) -> PortalLink:
    _require_editor(by, link.program)
    if link.revoked_at is not None:
        raise invalid("link", "This link is already revoked.")
    link.revoked_at = timezone.now()
    link.revoked_by = by
    link.save(update_fields=["revoked_at", "revoked_by"])
    emit(events.PortalLinkChanged(program=link.program, link=link, change="revoked", by=by))
    return link


@transaction.atomic
def send_portal_link(*, by: Any, program: Program) -> Any:
    """E-mail the program's contacts their portal link (a new one if none works)."""
    _require_editor(by, program)
    link = None
    if not current_portal_url(program):
        link = PortalLink.objects.create(program=program, created_by=by)
    message = queue_from_template(
        template_code="onboarding-portal-link",
        to=["contacts"],
        client=program.client,
        cause=queries.program_cause(program, "portal link"),
        by=by,
        extra=program_variables(program),
    )
    emit(events.PortalLinkChanged(program=program, link=link, change="sent", by=by))
    return message


# Proofs ---------------------------------------------------------------------------------


@transaction.atomic
def upload_proof(
    *,
    by: Any,
    program: Program,
    kind: str,
    title: str,
    upload: ProofUpload,
    note: str = "",
) -> ProofVersion:
    """Add a version of a creative or targeting proof for the client to approve."""
    _require_editor(by, program)
    if kind not in ProofKind.values:
        raise invalid("kind", "Choose creative or targeting.")
    if not title.strip():
        raise invalid("title", "Name what the client approves (e.g. 'Banner set').")
    if not upload.content:
        raise invalid("file", "The file is empty.")
    if len(upload.content) > MAX_PROOF_BYTES:
        raise invalid("file", f"Files up to {MAX_PROOF_BYTES // (1024 * 1024)} MB.")
    proof, _ = Proof.objects.get_or_create(program=program, kind=kind, title=title.strip())
    # Locked, so two uploads at once number their versions one after the other.
    proof = Proof.objects.select_for_update().get(pk=proof.pk)
    latest = proof.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = ProofVersion.objects.create(
        proof=proof,
        number=latest + 1,
        filename=upload.filename[:200] or "proof",
        content_type=upload.content_type or "application/octet-stream",
        content=upload.content,
        note=note.strip(),
        uploaded_by=by,
    )
    emit(events.ProofUploaded(program=program, version=version, by=by))
    return version


# The client, through the portal -----------------------------------------------------------


@transaction.atomic
def supply_details(*, link: PortalLink, details: dict[str, Any], contact: str) -> Program:
    """A client contact fills in missing details through the portal."""
    if not link.is_usable:
        raise invalid("link", "This link no longer works.")
    submitted = {
        key: value
        for key, value in details.items()
        if str(value if value is not None else "").strip()
    }
    if not submitted:
        raise invalid("__all__", "Fill in at least one detail.")
    # The client supplies what is missing; what the agency has on file changes through it.
    missing = {m.key for m in missing_details(link.program)}
    on_file = sorted(key for key in submitted if key not in missing)
    if on_file:
        raise ValidationError(
            {
                key: ["We already have this; ask your account manager to change it."]
                for key in on_file
            }
        )
    program = _apply_details(link.program, submitted, by=None, reason=f"client portal: {contact}")
    _tell_team(program, f"{program.client.name} sent order details", contact, sorted(submitted))
    return program


@transaction.atomic
def decide_proof(
    *, link: PortalLink, version: ProofVersion, decision: str, comment: str, contact: str
) -> ProofVersion:
    """The client approves the latest version of a proof, or sends it back with comments."""
    if not link.is_usable:
        raise invalid("link", "This link no longer works.")
    version = ProofVersion.objects.select_for_update().select_related("proof").get(pk=version.pk)
    if version.proof.program_id != link.program_id:
        raise invalid("version", "This proof is not part of your program.")
    latest = version.proof.versions.order_by("-number").values_list("number", flat=True).first()
    if version.number != latest:
        raise invalid("version", "A newer version is waiting for you; decide on that one.")
    if version.decision != ProofDecision.PENDING:
        raise invalid("version", "This version is already decided.")
    if decision not in (ProofDecision.APPROVED, ProofDecision.CHANGES):
        raise invalid("decision", "Approve it or send it back.")
    version.comment = comment.strip()
    decide = version.approve if decision == ProofDecision.APPROVED else version.send_back
    if not can_proceed(decide):
        raise invalid("comment", "Tell us what to change.")
    decide()
    version.decided_by = contact[:200]
    version.decided_at = timezone.now()
    version.save(update_fields=["decision", "comment", "decided_by", "decided_at"])
    program = link.program
    verb = "approved" if decision == ProofDecision.APPROVED else "sent back"
    _tell_team(program, f"{program.client.name} {verb} {version.proof}", contact, [comment.strip()])
    emit(events.ProofDecided(program=program, version=version))
    _complete_met_steps(program, None)
    return version


def _tell_team(program: Program, subject: str, contact: str, lines: list[str]) -> None:
    """Let the account manager and client success manager know what the client did."""
    from retainops.messaging.recipients import resolve_recipients

    team = []
    for spec in ("role:account_manager", "role:client_success_manager"):
        try:
            resolve_recipients([spec], program.client)
        except ValidationError:
            continue
        team.append(spec)
    if not team:
        return
    body = f"{subject} (by {contact}) for {program.name}.\n\n" + "\n".join(
        f"- {line}" for line in lines if line
    )
    queue_message(
        outgoing=Outgoing(subject=subject, body_text=body, to=team),
        client=program.client,
        cause=queries.program_cause(program, "client portal"),
    )
