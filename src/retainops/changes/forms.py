"""Forms of the change-request pages. They parse what was typed; the services decide
(a contract change without lines, a missing budget, a retired reason...)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from retainops.changes.choices import ChangeKind, ChangeStatus, Escalation, LineAction, SaveOutcome
from retainops.changes.models import ChangeReason
from retainops.changes.queries import RequestFilters
from retainops.changes.services import LineChange
from retainops.clients.forms import units_for
from retainops.clients.models import Client, ServiceLine
from retainops.core.choices import RoleCode
from retainops.core.models import BusinessUnit, User
from retainops.playbooks.models import Playbook

LINE_ROWS = 4


def _date_field(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


def line_field(index: int, part: str) -> str:
    return f"line{index}_{part}"


class ChangeRequestForm(forms.Form):
    """A request's facts and up to LINE_ROWS contract lines. Editing leaves out the kind
    and the escalation, which the request keeps."""

    kind = forms.ChoiceField(choices=ChangeKind.choices, label="Kind")
    reason = forms.ModelChoiceField(ChangeReason.objects.none(), label="Reason")
    reason_text = forms.CharField(
        required=False, label="In the client's words", widget=forms.Textarea(attrs={"rows": 2})
    )
    escalation = forms.ChoiceField(
        choices=Escalation.choices,
        label="Escalate to",
        help_text="When the retention team is called, only it submits the request.",
    )
    effective_date = _date_field("Effective date")
    credit_amount = forms.DecimalField(
        label="Credit issued",
        initial=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text="Finance approves the request too when a credit is issued.",
    )
    leaves_platform = forms.BooleanField(
        required=False,
        label="Leaves the platform",
        help_text="Cancellations only: remove the client from platform-wide tools too.",
    )
    notes = forms.CharField(
        required=False,
        label="Change notes",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What operations needs to know; sent with the approval.",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"], self.fields["escalation"]
        current = self.initial.get("reason")
        reasons = ChangeReason.objects.filter(is_active=True)
        if current is not None:
            reasons = reasons | ChangeReason.objects.filter(pk=getattr(current, "pk", current))
        self.fields["reason"].queryset = reasons.distinct()  # type: ignore[attr-defined]
        services = ServiceLine.objects.filter(is_active=True)
        actions = [("", "—"), *LineAction.choices]
        for index in range(LINE_ROWS):
            self.fields[line_field(index, "service")] = forms.ModelChoiceField(
                services, required=False, label=f"Line {index + 1}: service"
            )
            self.fields[line_field(index, "action")] = forms.ChoiceField(
                choices=actions, required=False, label=f"Line {index + 1}: change"
            )
            self.fields[line_field(index, "budget")] = forms.DecimalField(
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                label=f"Line {index + 1}: new monthly budget",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for index in range(LINE_ROWS):
            service = data.get(line_field(index, "service"))
            action = data.get(line_field(index, "action"))
            if bool(service) != bool(action):
                self.add_error(
                    line_field(index, "action"), "Give both the service and the change, or neither."
                )
        return data

    def line_rows(self) -> list[list[forms.BoundField]]:
        parts = ("service", "action", "budget")
        return [[self[line_field(i, part)] for part in parts] for i in range(LINE_ROWS)]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("line")]

    def lines(self) -> list[LineChange]:
        rows = []
        for index in range(LINE_ROWS):
            service = self.cleaned_data.get(line_field(index, "service"))
            action = self.cleaned_data.get(line_field(index, "action"))
            if service and action:
                budget = self.cleaned_data.get(line_field(index, "budget"))
                rows.append(LineChange(service, action, budget))
        return rows

    def changes(self) -> dict[str, Any]:
        """What update_change_request may change."""
        names = ("reason", "reason_text", "effective_date", "credit_amount", "leaves_platform")
        return {name: self.cleaned_data[name] for name in (*names, "notes")}


def initial_lines(lines: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for index, line in enumerate(list(lines)[:LINE_ROWS]):
        initial[line_field(index, "service")] = line.service_id
        initial[line_field(index, "action")] = line.action
        initial[line_field(index, "budget")] = line.monthly_budget
    return initial


class SaveAttemptForm(forms.Form):
    # A blank first choice, so that nothing is preselected: a form sent unchanged must
    # not log a save and inflate the save rate.
    outcome = forms.ChoiceField(
        choices=[("", "Choose how the call ended"), *SaveOutcome.choices],
        label="Outcome",
        error_messages={"required": "Choose how the call ended."},
    )
    notes = forms.CharField(
        required=False, label="Notes of the call", widget=forms.Textarea(attrs={"rows": 2})
    )
    # Not bounded here: the service says why a time in the future, or before the request
    # was raised, is refused.
    at = forms.DateTimeField(
        required=False,
        label="When was the call?",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for a call just made.",
    )


class HandOverForm(forms.Form):
    to = forms.ModelChoiceField(User.objects.none(), label="Account manager")

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True,
            roles__code=RoleCode.ACCOUNT_MANAGER,
            business_units=client.business_unit_id,
        ).distinct()


class WithdrawForm(forms.Form):
    # Not required here: the service says why a blank reason is refused.
    reason = forms.CharField(required=False, label="Why is it withdrawn?")


class FilterForm(forms.Form):
    """The list's and planner's filters, read into queries.RequestFilters."""

    q = forms.CharField(required=False, label="Search")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *ChangeKind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *ChangeStatus.choices], required=False)
    unit = forms.ModelChoiceField(
        BusinessUnit.objects.none(), required=False, empty_label="Any unit"
    )
    effective_from = _date_field("Effective from", required=False)
    effective_to = _date_field("Effective to", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)  # type: ignore[attr-defined]

    def filters(self) -> RequestFilters:
        data = self.cleaned_data if self.is_valid() else {}
        unit = data.get("unit")
        return RequestFilters(
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            business_unit=unit.pk if unit else None,
            effective_from=data.get("effective_from"),
            effective_to=data.get("effective_to"),
            search=(data.get("q") or "").strip(),
        )


class PeriodForm(forms.Form):
    start = _date_field("Raised from", required=False)
    end = _date_field("Raised before", required=False)

    def period(self) -> tuple[date | None, date | None]:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("start"), data.get("end")


class ReasonForm(forms.Form):
    code = forms.SlugField(max_length=60, label="Code", help_text="Names the reason in the API.")
    label = forms.CharField(max_length=160, label="Label")
    is_active = forms.BooleanField(
        required=False, initial=True, label="Offered when raising a request"
    )


class RouteForm(forms.Form):
    business_unit = forms.ModelChoiceField(
        BusinessUnit.objects.all(), required=False, empty_label="Every unit", label="Business unit"
    )
    kind = forms.ChoiceField(
        choices=[("", "Every kind"), *ChangeKind.choices], required=False, label="Kind"
    )
    playbook = forms.ModelChoiceField(
        Playbook.objects.filter(subject="change_request"), label="Approval playbook"
    )
