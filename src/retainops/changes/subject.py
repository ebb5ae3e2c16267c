"""A change request as a playbook subject: fields for conditions, anchors, the checks of
the offboarding steps, what its steps do to it, and its template variables."""

from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from retainops.changes import services
from retainops.changes.choices import RemovalState
from retainops.changes.models import ChangeRequest
from retainops.playbooks.subjects import Check, SubjectType, register_subject

CHANGE_VARIABLES: dict[str, Any] = {
    "kind": None,
    "reason": None,
    "reason_text": None,
    "escalation": None,
    "raised_by": None,
    "effective_date": None,
    "credit_amount": None,
    "notes": None,
    "url": None,
    "submitted_by": None,
    "returned_reason": None,
    "lines": [{"service": None, "action": None, "monthly_budget": None}],
}


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


def _pending(request: ChangeRequest, *states: str) -> list[str]:
    return [str(r.tool) for r in request.removals.select_related("tool") if r.state in states]


def request_url(request: ChangeRequest) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("changes:detail", args=[request.pk])


def change_variables(request: ChangeRequest) -> dict[str, Any]:
    return {
        "request": {
            "kind": request.get_kind_display(),
            "reason": request.reason.label,
            "reason_text": request.reason_text,
            "escalation": request.get_escalation_display(),
            "raised_by": str(request.raised_by),
            "effective_date": request.effective_date.strftime("%d %B %Y"),
            "credit_amount": request.credit_amount,
            "notes": request.notes,
            "url": request_url(request),
            "submitted_by": str(request.submitted_by or request.raised_by),
            "returned_reason": request.returned_reason,
            "lines": [
                {
                    "service": line.service.name,
                    "action": line.get_action_display(),
                    "monthly_budget": line.monthly_budget,
                }
                for line in request.lines.select_related("service")
            ],
        }
    }


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
            events={"change_request.submitted": "a request is submitted for approval"},
            checks={
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
                "mark_approved": services.mark_approved,
                "mark_processed": services.mark_processed,
                "apply_change": services.apply_change,
            },
            on_run_end=services.return_if_rejected,
            variables=change_variables,
        )
    )
