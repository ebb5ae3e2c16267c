"""What message templates may say about a change request (`{{ request.kind }}` ...)."""

from typing import Any

from django.urls import reverse

from retainops.changes.models import ChangeRequest
from retainops.core.site import absolute

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


def request_url(request: ChangeRequest) -> str:
    return absolute(reverse("changes:detail", args=[request.pk]))


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
