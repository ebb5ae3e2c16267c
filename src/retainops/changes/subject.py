"""A change request as a playbook subject: fields for conditions, anchors, the checks of
the offboarding steps, what its steps do to it (approve, process, take effect, return
it), and its template variables."""

from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from retainops.changes import events, services
from retainops.changes.choices import ChangeKind, ChangeStatus, LineAction, RemovalState
from retainops.changes.models import ChangeRequest, Removal
from retainops.changes.variables import change_variables
from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.events import ClientStatusChanged
from retainops.clients.models import Client, Contract, ContractLine
from retainops.clients.services import refresh_mrr
from retainops.core.audit import save_audited
from retainops.core.events import emit
from retainops.messaging.services import queue_from_template
from retainops.playbooks.choices import RunState
from retainops.playbooks.models import Run
from retainops.playbooks.subjects import Check, SubjectType, register_subject


def _load(pk: int) -> ChangeRequest:
    return ChangeRequest.objects.select_related("client__business_unit", "reason").get(pk=pk)


def _values(request: ChangeRequest) -> dict[str, Any]:
    return {
        "kind": request.kind,
        "reason": request.reason.code,
        "escalation": request.escalation,
        "credit_amount": float(request.credit_amount),
        "leaves_platform": request.leaves_platform,
        "mrr": float(request.mrr_before),
    }


def _anchors(request: ChangeRequest) -> dict[str, datetime]:
    anchors = {"effective": timezone.make_aware(datetime.combine(request.effective_date, time.min))}
    if request.submitted_at:
        anchors["submitted"] = request.submitted_at
    return anchors


def _save_call_missing(request: ChangeRequest) -> list[str]:
    """The save call is in, or no longer awaited: the request went on without one."""
    if request.saves.exists() or request.status not in _BEFORE_SUBMISSION:
        return []
    return ["the save call"]


def _submission_missing(request: ChangeRequest) -> list[str]:
    """Submitted (or withdrawn): nothing is awaited of whoever submits."""
    return ["the submission"] if request.status in _BEFORE_SUBMISSION else []


_BEFORE_SUBMISSION = (ChangeStatus.DRAFT, ChangeStatus.RETURNED)


def _pending(request: ChangeRequest, *states: str) -> list[str]:
    return [str(r.tool) for r in request.removals.select_related("tool") if r.state in states]


# What the approval playbook's steps do to the request --------------------------------------
#
# Each is its own operation, called by the engine with the request this transaction
# loaded and the run whose step it is: it locks the request in place (the same instance
# the run's later messages read), refuses a run that is not the request's own, and moves
# the request only through its state machine.


def _lock_for(request: ChangeRequest, run: Run) -> ChangeRequest:
    if run.subject_type != "change_request" or run.subject_id != request.pk:
        raise PermissionDenied(f"Run {run.pk} is not the approval chain of request {request.pk}.")
    request.refresh_from_db(from_queryset=ChangeRequest.objects.select_for_update())
    return request


@transaction.atomic
def mark_approved(request: ChangeRequest, *, run: Run, by: Any) -> None:
    """Every approval agreed. A cancellation is now notice given on the client."""
    request = _lock_for(request, run)
    request.approve()
    request.approved_at = timezone.now()
    save_audited(request, by, "status: approved")
    client = request.client
    if request.kind == ChangeKind.CANCELLATION and can_proceed(client.give_notice):
        client.give_notice()
        save_audited(client, by, f"status: give_notice (change request {request.pk})")
        _announce_status(client, "give_notice", by)
    emit(events.ChangeRequestApproved(request=request, by=by))


@transaction.atomic
def mark_processed(request: ChangeRequest, *, run: Run, by: Any) -> None:
    """Accounting processed the change in the records and billing."""
    request = _lock_for(request, run)
    if can_proceed(request.process):
        request.process()
        save_audited(request, by, "status: processed")
        emit(events.ChangeRequestProcessed(request=request, by=by))


@transaction.atomic
def apply_change(request: ChangeRequest, *, run: Run, by: Any) -> None:
    """The effective date came: the client's status and contract lines change by themselves."""
    request = _lock_for(request, run)
    client = request.client
    unchanged = ""
    if request.kind == ChangeKind.CANCELLATION:
        _cancel_client(request, client, by)
    elif request.kind == ChangeKind.PAUSE:
        _pause_client(request, client, by)
    else:
        unchanged = _apply_lines(request, client, by)
    request.take_effect()
    request.effective_at = timezone.now()
    request.mrr_after = services.client_mrr(client)
    save_audited(
        request, by, f"status: effective; {unchanged}" if unchanged else "status: effective"
    )
    emit(events.ChangeTookEffect(request=request, by=by))


def _announce_status(client: Client, transition: str, by: Any) -> None:
    emit(ClientStatusChanged(client=client, by=by, transition=transition, status=client.status))


def _contracts(client: Client, *statuses: str) -> list[Contract]:
    return list(Contract.objects.select_for_update().filter(client=client, status__in=statuses))


def _cancel_client(request: ChangeRequest, client: Client, by: Any) -> None:
    for contract in _contracts(client, ContractStatus.ACTIVE, ContractStatus.PAUSED):
        contract.cancel()
        save_audited(contract, by, f"cancelled by change request {request.pk}")
    refresh_mrr([client.pk])
    if client.status != ClientStatus.CANCELLING and can_proceed(client.give_notice):
        client.give_notice()
    if can_proceed(client.cancel):
        client.cancel()
        save_audited(client, by, f"status: cancel (change request {request.pk})")
        _announce_status(client, "cancel", by)
    _list_removals(request, client)


def _pause_client(request: ChangeRequest, client: Client, by: Any) -> None:
    for contract in _contracts(client, ContractStatus.ACTIVE):
        contract.pause()
        save_audited(contract, by, f"paused by change request {request.pk}")
    refresh_mrr([client.pk])
    if can_proceed(client.pause):
        client.pause()
        save_audited(client, by, f"status: pause (change request {request.pk})")
        _announce_status(client, "pause", by)


def _apply_lines(request: ChangeRequest, client: Client, by: Any) -> str:
    """Change the lines of the client's active contract; when there is none (it was
    paused or cancelled after submission, which refuses a change without one), say
    why nothing changed, for the request's history."""
    if not request.lines.exists():
        return ""
    contract = services.contract_to_change(client)
    if contract is None:
        return f"no contract line changed: {client} had no active contract on the day"
    for change in request.lines.select_related("service"):
        line = ContractLine.objects.filter(contract=contract, service=change.service).first()
        if change.action == LineAction.REMOVE:
            if line is not None:
                line._history_user = by  # type: ignore[attr-defined]
                line.delete()
            continue
        line = line or ContractLine(contract=contract, service=change.service)
        line.monthly_budget = change.monthly_budget or Decimal("0")
        save_audited(line, by, f"change request {request.pk}")
    refresh_mrr([client.pk])
    return ""


def _list_removals(request: ChangeRequest, client: Client) -> None:
    """The offboarding checklist: every tool and board the client is set up in, except
    the platform-wide ones when the client stays on the platform."""
    for entry in client.tools.select_related("tool"):
        if entry.tool.platform_exit_only and not request.leaves_platform:
            continue
        Removal.objects.get_or_create(
            request=request, tool=entry.tool, defaults={"reference": entry.reference}
        )


@transaction.atomic
def return_if_rejected(request: ChangeRequest, *, run: Run, by: Any) -> None:
    """A rejected request goes back to its submitter with the reason."""
    if run.state != RunState.REJECTED:
        return
    request = _lock_for(request, run)
    refusal = run.tasks.filter(decision="rejected").select_related("closed_by").first()
    reason = refusal.note if refusal else ""
    who = str(refusal.closed_by) if refusal and refusal.closed_by else "an approver"
    request.return_to_submitter()
    request.returned_reason = f"{who}: {reason}" if reason else who
    save_audited(request, by, "status: returned")
    # The submission playbook starts again: whoever submits has the task back.
    emit(events.ChangeRequestReturned(request=request, by=by, playbook=services.SUBMISSION))
    if request.submitted_by and request.submitted_by.email:
        queue_from_template(
            template_code="change-returned",
            to=[f"user:{request.submitted_by.username}"],
            client=request.client,
            cause=f"change request {request.pk}",
            extra=change_variables(request),
        )


def register() -> None:
    register_subject(
        SubjectType(
            code="change_request",
            label="Change request",
            load=_load,
            client_of=lambda request: request.client,
            values=_values,
            anchor_values=_anchors,
            requester=lambda request: request.submitted_by,
            co_askers=lambda request: [request.raised_by],
            fields={
                "kind": "retention, cancellation, pause or contract_change",
                "reason": "the code of the reason",
                "escalation": "retention_team, team_lead or department_manager",
                "credit_amount": "the credit issued (0 when none)",
                "leaves_platform": "true when the client leaves the platform entirely",
                "mrr": "the client's monthly recurring revenue when the request was raised",
            },
            anchors={
                "submitted": "when the request was submitted",
                "effective": "the start of the requested effective date",
            },
            events={
                "change_request.raised": "a request is raised (its escalation chosen)",
                "change_request.submitted": "a request is submitted for approval",
            },
            checks={
                "save_call_recorded": Check("No save call recorded", _save_call_missing),
                "submitted": Check("Not submitted yet", _submission_missing),
                "tools_removed": Check(
                    "Still set up in",
                    lambda r: _pending(r, RemovalState.PENDING),
                ),
                "removals_verified": Check(
                    "Removal not verified",
                    lambda r: _pending(r, RemovalState.PENDING, RemovalState.REMOVED),
                ),
            },
            actions={
                "mark_approved": mark_approved,
                "mark_processed": mark_processed,
                "apply_change": apply_change,
            },
            on_run_end=return_if_rejected,
            variables=change_variables,
        )
    )
