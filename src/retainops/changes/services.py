"""Operations on change requests: raise, record a save attempt, hand over, submit,
withdraw; what the approval playbook does to a request (approve, process, take effect,
return it); and the offboarding checklist.

Who may submit follows the escalation: when the retention team was involved only
the retention team submits (or the account manager it handed the request to);
otherwise the person who raised it or the client's account manager does.

Submission refuses what would be approved and then stay put: a chain lacking what
follows approval (chains.py), and a contract change for a client with no active
contract. A department manager does not verify a removal she marked done herself.

Whoever must act next before approval has a task in My work (the shipped
`change-submission` playbook, started when the request is raised and again when a
rejection returns it): the retention team's save call when escalated to it, then the
submission; the tasks close themselves as the request moves on, go with a request
handed to an account manager, and are cancelled with a withdrawn request.

The escalation chosen is told at once: whoever holds its role (retention team, team
lead, department manager) in the client's business unit gets an e-mail, written to the
outbox in the transaction that raises the request.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django_fsm import can_proceed

from retainops.changes import events
from retainops.changes.chains import chain_problems, refusal
from retainops.changes.choices import (
    ChangeKind,
    ChangeStatus,
    Escalation,
    LineAction,
    SaveOutcome,
)
from retainops.changes.models import (
    ApprovalRoute,
    ChangeLine,
    ChangeReason,
    ChangeRequest,
    Removal,
    SaveAttempt,
    verifies_removals,
)
from retainops.changes.variables import change_variables
from retainops.clients.choices import ContractStatus
from retainops.clients.models import (
    Client,
    ClientTeamMember,
    Contract,
    ContractLine,
    ServiceLine,
)
from retainops.core.access import require_capability, require_unit_access
from retainops.core.audit import save_audited
from retainops.core.capabilities import Capability
from retainops.core.choices import RoleCode
from retainops.core.errors import invalid
from retainops.core.events import emit
from retainops.core.models import User
from retainops.core.transitions import declared
from retainops.messaging.services import queue_from_template
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Playbook

RETENTION = RoleCode.RETENTION_TEAM
# The shipped approval chain, used where no route names another playbook.
DEFAULT_APPROVAL = "change-approval"
# The shipped playbook that gives whoever acts next before approval a task in My work:
# the retention call, the submission, the resubmission after a return (it starts on
# `change_request.raised`, and again when a rejection returns the request).
SUBMISSION = "change-submission"
# The message template that tells the escalation chosen (changes/migrations/0003).
ESCALATION_TEMPLATE = "change-escalated"
ESCALATION_ROLES = {
    Escalation.RETENTION_TEAM: RoleCode.RETENTION_TEAM,
    Escalation.TEAM_LEAD: RoleCode.TEAM_LEAD,
    Escalation.DEPARTMENT_MANAGER: RoleCode.DEPARTMENT_MANAGER,
}


@dataclass
class LineChange:
    service: ServiceLine
    action: str
    monthly_budget: Decimal | None = None


def client_mrr(client: Client) -> Decimal:
    total = ContractLine.objects.filter(
        contract__client=client, contract__status=ContractStatus.ACTIVE
    ).aggregate(total=Sum("monthly_budget"))["total"]
    return total or Decimal("0")


def _require_raiser(by: Any, client: Client) -> None:
    require_capability(by, Capability.RAISE_CHANGES)
    require_unit_access(by, client.business_unit_id)


def _check_lines(kind: str, lines: list[LineChange]) -> None:
    if kind == ChangeKind.CONTRACT_CHANGE and not lines:
        raise invalid(
            "lines", "A contract change names the services it adds, removes or re-budgets."
        )
    seen = set()
    for line in lines:
        if line.action not in LineAction.values:
            raise invalid("lines", f"Unknown change {line.action!r}.")
        if line.service.pk in seen:
            raise invalid("lines", f"{line.service} appears twice.")
        seen.add(line.service.pk)
        needs_budget = line.action in (LineAction.ADD, LineAction.BUDGET)
        if needs_budget and (line.monthly_budget is None or line.monthly_budget < 0):
            raise invalid("lines", f"{line.service}: give the new monthly budget.")


def _write_lines(request: ChangeRequest, lines: list[LineChange]) -> None:
    request.lines.all().delete()
    ChangeLine.objects.bulk_create(
        ChangeLine(
            request=request,
            service=line.service,
            action=line.action,
            monthly_budget=line.monthly_budget if line.action != LineAction.REMOVE else None,
        )
        for line in lines
    )


@transaction.atomic
def raise_change_request(
    *,
    by: Any,
    client: Client,
    kind: str,
    reason: ChangeReason,
    escalation: str,
    effective_date: date,
    reason_text: str = "",
    credit_amount: Decimal = Decimal("0"),
    leaves_platform: bool = False,
    notes: str = "",
    lines: list[LineChange] | None = None,
) -> ChangeRequest:
    """Open a request the moment a client raises doubts or asks to change, with the
    escalation the account manager chose."""
    _require_raiser(by, client)
    if kind not in ChangeKind.values:
        raise invalid("kind", "Choose retention, cancellation, pause or contract change.")
    if escalation not in Escalation.values:
        raise invalid(
            "escalation", "Choose the retention team, a team lead or the department manager."
        )
    if not reason.is_active:
        raise invalid("reason", f"{reason} is no longer offered.")
    _check_lines(kind, lines or [])
    request = ChangeRequest(
        client=client,
        kind=kind,
        reason=reason,
        reason_text=reason_text.strip(),
        escalation=escalation,
        effective_date=effective_date,
        credit_amount=credit_amount,
        leaves_platform=leaves_platform and kind == ChangeKind.CANCELLATION,
        notes=notes.strip(),
        raised_by=by,
        mrr_before=client_mrr(client),
    )
    told = escalation_recipients(request)
    save_audited(request, by, "raised" if told else f"raised; {_nobody_to_tell(request)}")
    _write_lines(request, lines or [])
    if told:
        _tell_escalation(request, told, by)
    emit(events.ChangeRequestRaised(request=request, by=by))
    return request


def escalation_recipients(request: ChangeRequest) -> list[User]:
    """Whoever holds the escalation's role in the client's business unit and can be
    written to; not the person who raised the request, who knows."""
    return list(
        User.objects.filter(
            is_active=True,
            roles__code=ESCALATION_ROLES[Escalation(request.escalation)],
            business_units=request.client.business_unit_id,
        )
        .exclude(pk=request.raised_by_id)
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def _nobody_to_tell(request: ChangeRequest) -> str:
    party = request.get_escalation_display().lower()
    unit = request.client.business_unit
    if ESCALATION_ROLES[Escalation(request.escalation)] in request.raised_by.role_codes():
        return f"nobody to tell: the {party} in {unit} raised it"
    return f"nobody to tell: no {party} in {unit}"


def _tell_escalation(request: ChangeRequest, people: list[User], by: Any) -> None:
    queue_from_template(
        template_code=ESCALATION_TEMPLATE,
        to=[f"user:{person.username}" for person in people],
        client=request.client,
        cause=f"change request {request.pk} escalated",
        by=by,
        extra=change_variables(request),
    )


def _status(request: ChangeRequest) -> str:
    return request.get_status_display().lower()


def _editable(request: ChangeRequest) -> None:
    if request.status not in (ChangeStatus.DRAFT, ChangeStatus.RETURNED):
        raise invalid("status", f"A request that is {_status(request)} cannot change.")


@transaction.atomic
def update_change_request(
    *,
    by: Any,
    request: ChangeRequest,
    changes: dict[str, Any],
    lines: list[LineChange] | None = None,
) -> ChangeRequest:
    """Change a draft or returned request (its notes, date, credit, lines...)."""
    _require_raiser(by, request.client)
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    _editable(request)
    allowed = {
        "reason",
        "reason_text",
        "effective_date",
        "credit_amount",
        "leaves_platform",
        "notes",
    }
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    reason = changes.get("reason")
    if reason is not None and not reason.is_active:
        raise invalid("reason", f"{reason} is no longer offered.")
    for name, value in changes.items():
        setattr(request, name, value.strip() if isinstance(value, str) else value)
    # As when raised: only a cancellation can leave the platform.
    request.leaves_platform = request.leaves_platform and request.kind == ChangeKind.CANCELLATION
    save_audited(request, by, "changed")
    if lines is not None:
        _check_lines(request.kind, lines)
        _write_lines(request, lines)
    fields = (*changes, "lines") if lines is not None else tuple(changes)
    emit(events.ChangeRequestUpdated(request=request, by=by, fields=fields))
    return request


def _call_time(request: ChangeRequest, at: datetime | None) -> datetime:
    """When the call was made: now, or a past moment given, neither in the future nor
    before the request was raised. A time without a zone is the site's local time; one
    in the minute the request was raised counts from the raising (forms give minutes)."""
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now:
        raise invalid("at", "The call cannot be in the future.")
    raised = request.raised_at
    if at < raised.replace(second=0, microsecond=0):
        when = timezone.localtime(raised).strftime("%Y-%m-%d %H:%M")
        raise invalid("at", f"The request was raised at {when}: the call cannot be earlier.")
    return max(at, raised)


@transaction.atomic
def record_save_attempt(
    *,
    by: Any,
    request: ChangeRequest,
    outcome: str,
    notes: str = "",
    at: datetime | None = None,
) -> SaveAttempt:
    """The retention call: who called, when (now, or `at` for a call made earlier and
    recorded afterwards), how it ended."""
    _require_raiser(by, request.client)
    if outcome not in SaveOutcome.values:
        raise invalid("outcome", "Choose saved, saved with a change, paused or lost.")
    request = _lock(request)
    if not request.takes_save_calls():
        raise invalid(
            "status",
            f"A request that is {_status(request)} is decided: "
            "a save call is no longer recorded on it.",
        )
    attempt = SaveAttempt(
        request=request,
        by=by,
        at=_call_time(request, at),
        outcome=outcome,
        notes=notes.strip(),
    )
    save_audited(attempt, by)
    emit(events.SaveAttemptRecorded(request=request, attempt=attempt, by=by))
    _close_met_steps(request, by)
    return attempt


def _close_met_steps(request: ChangeRequest, by: Any) -> None:
    """The request moved on: its runs' steps waiting only for that (the save call, the
    submission) close themselves."""
    playbooks.complete_met_steps(subject_type="change_request", subject_id=request.pk, by=by)


def _lock(request: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update().select_related("client").get(pk=request.pk)


@transaction.atomic
def hand_to_account_manager(*, by: Any, request: ChangeRequest, to: User) -> ChangeRequest:
    """The retention team hands a request that is not urgent to an account manager."""
    _require_raiser(by, request.client)
    if RETENTION not in by.role_codes():
        raise PermissionDenied("Only the retention team hands requests over.")
    request = _lock(request)
    if not request.takes_hand_over():
        raise invalid(
            "status",
            f"A request that is {_status(request)} cannot change hands: "
            "only a draft or a returned request is handed over.",
        )
    if RoleCode.ACCOUNT_MANAGER not in to.role_codes():
        raise invalid("to", f"{to} is not an account manager.")
    if request.client.business_unit_id not in to.unit_ids():
        raise invalid("to", f"{to} does not work in {request.client.business_unit}.")
    request.assigned_to = to
    save_audited(request, by, f"handed to {to}")
    # The tasks before submission (the call, the submission) go with the request.
    playbooks.reassign_subject_tasks(
        by=by, subject_type="change_request", subject_id=request.pk, to=to
    )
    emit(events.ChangeRequestHandedOver(request=request, by=by))
    return request


def retention_involved(request: ChangeRequest) -> bool:
    return request.retention_called or request.saves.filter(by__roles__code=RETENTION).exists()


def may_submit(user: Any, request: ChangeRequest) -> bool:
    """Who may send the request for approval (see the module's docstring)."""
    is_retention = RETENTION in user.role_codes()
    if request.assigned_to_id:
        return bool(request.assigned_to_id == user.pk) or is_retention
    if retention_involved(request):
        return is_retention
    clients_am = ClientTeamMember.objects.filter(
        client=request.client, role__code=RoleCode.ACCOUNT_MANAGER, user=user
    ).exists()
    return bool(request.raised_by_id == user.pk) or clients_am


def route_for(request: ChangeRequest) -> Playbook:
    """The most specific approval route: unit and kind, unit, kind, then the default."""
    unit = request.client.business_unit_id
    routes = ApprovalRoute.objects.filter(
        Q(business_unit_id=unit) | Q(business_unit__isnull=True), Q(kind=request.kind) | Q(kind="")
    ).select_related("playbook__current")
    ranked = sorted(routes, key=lambda r: (r.business_unit_id is None, r.kind == ""))
    candidates = [route.playbook for route in ranked]
    shipped = Playbook.objects.filter(key=DEFAULT_APPROVAL).select_related("current").first()
    for playbook in [*candidates, *([shipped] if shipped else [])]:
        if playbook.is_active and playbook.current is not None:
            return playbook
    raise invalid("route", "No approval playbook is configured for this kind of request.")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def contract_to_change(client: Client) -> Contract | None:
    """The contract a contract change applies to: the client's latest active one."""
    return (
        Contract.objects.filter(client=client, status=ContractStatus.ACTIVE)
        .order_by("-start_date")
        .first()
    )


def _check_can_take_effect(request: ChangeRequest, playbook: Playbook) -> None:
    """Refuse, before anything starts, a request that would be approved and then do
    nothing: a chain that stops at approval, or a contract change with no contract."""
    problems = chain_problems(playbook, [request.kind])
    if problems:
        raise invalid(
            "route",
            refusal(playbook, problems) + " Ask whoever manages playbooks to publish it whole.",
        )
    if request.kind == ChangeKind.CONTRACT_CHANGE and contract_to_change(request.client) is None:
        raise invalid(
            "client",
            f"{request.client} has no active contract for this change to apply to: "
            "record or resume its contract first, or withdraw the request.",
        )


@transaction.atomic
def submit_change_request(*, by: Any, request: ChangeRequest) -> ChangeRequest:
    """Send the request into its approval chain (the playbook its route names)."""
    _require_raiser(by, request.client)
    request = ChangeRequest.objects.select_for_update().select_related("client").get(pk=request.pk)
    if not may_submit(by, request):
        who = "the retention team" if retention_involved(request) else "its account manager"
        raise PermissionDenied(f"Only {who} submits this request.")
    if not can_proceed(request.submit):
        raise invalid(
            "status",
            f"A request that is {request.get_status_display().lower()} cannot be submitted.",
        )
    playbook = route_for(request)
    _check_can_take_effect(request, playbook)
    request.submit()
    request.submitted_by = by
    request.submitted_at = timezone.now()
    request.returned_reason = ""
    save_audited(request, by, "status: submitted")
    _close_met_steps(request, by)
    # The approval chain starts on this event: its route chose the playbook.
    emit(
        events.ChangeRequestSubmitted(
            request=request,
            by=by,
            playbook=playbook.key,
            anchors={
                "submitted": request.submitted_at,
                "effective": _start_of(request.effective_date),
            },
        )
    )
    return request


@transaction.atomic
def withdraw_change_request(*, by: Any, request: ChangeRequest, reason: str) -> ChangeRequest:
    """The client stayed, or it was raised by mistake: the request and its run stop."""
    _require_raiser(by, request.client)
    if not reason.strip():
        raise invalid("reason", "Say why it is withdrawn.")
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if not request.takes_withdrawal():
        raise invalid("status", f"A request that is {_status(request)} cannot be withdrawn.")
    request.withdraw()
    save_audited(request, by, f"withdrawn: {reason.strip()}")
    playbooks.cancel_subject_runs(
        by=by,
        subject_type="change_request",
        subject_id=request.pk,
        reason=f"request withdrawn: {reason.strip()}",
    )
    emit(events.ChangeRequestWithdrawn(request=request, by=by, reason=reason.strip()))
    return request


# Offboarding ----------------------------------------------------------------------------


@transaction.atomic
def mark_removed(*, by: Any, removal: Removal) -> Removal:
    """The partner team took the client out of a tool."""
    require_unit_access(by, removal.request.client.business_unit_id)
    if not declared(Removal, "mark_removed").permits(removal, by):
        raise PermissionDenied("The partner team removes clients from tools.")
    removal = Removal.objects.select_for_update().get(pk=removal.pk)
    if not can_proceed(removal.mark_removed):
        raise invalid("state", "Already removed.")
    removal.mark_removed(by)
    save_audited(removal, by)
    emit(events.RemovalRecorded(removal=removal, by=by))
    playbooks.complete_met_steps(
        subject_type="change_request", subject_id=removal.request_id, by=by
    )
    return removal


@transaction.atomic
def verify_removal(*, by: Any, removal: Removal) -> Removal:
    """The department manager checks the removal was really done, by someone else."""
    require_unit_access(by, removal.request.client.business_unit_id)
    if not verifies_removals(by):
        raise PermissionDenied("The department manager verifies removals.")
    removal = Removal.objects.select_for_update().get(pk=removal.pk)
    if not can_proceed(removal.verify):
        raise invalid("state", "Only a removal the partner team reported can be verified.")
    if not declared(Removal, "verify").permits(removal, by):
        # The check is a second pair of eyes: a department manager who took the client
        # out of a tool herself does not also vouch for it.
        raise PermissionDenied(
            "You marked this removal done yourself: another department manager verifies it."
        )
    removal.verify(by)
    save_audited(removal, by)
    emit(events.RemovalRecorded(removal=removal, by=by))
    playbooks.complete_met_steps(
        subject_type="change_request", subject_id=removal.request_id, by=by
    )
    return removal
