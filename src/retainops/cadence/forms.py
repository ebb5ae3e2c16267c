"""Forms of the contact-plan pages; the rules are the services', the forms only parse."""

from typing import Any

from django import forms

from retainops.cadence.choices import ContactChannel
from retainops.cadence.models import ContactKind, PlanTemplate
from retainops.core.models import Role, User


class PlanItemForm(forms.Form):
    kind = forms.ModelChoiceField(queryset=ContactKind.objects.filter(is_active=True))
    rrule = forms.CharField(
        label="Recurrence (RFC 5545 RRULE)",
        help_text="e.g. FREQ=WEEKLY;BYDAY=TU or FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
    )
    channel = forms.ChoiceField(
        choices=[("", "The kind's channel"), *ContactChannel.choices], required=False
    )
    owner_role = forms.ModelChoiceField(
        queryset=Role.objects.all(), to_field_name="code", required=False, label="Owner: a role"
    )
    owner_user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True), required=False, label="or a person"
    )
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), initial="10:00")

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        role = data.pop("owner_role")
        data["owner_role"] = role.code if role else ""
        return data


class TemplateChoiceForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.filter(is_active=True),
        required=False,
        empty_label="The template that fits the client",
    )


class TouchpointForm(forms.Form):
    channel = forms.ChoiceField(choices=ContactChannel.choices)
    at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), required=False
    )
    summary = forms.CharField(max_length=300, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class MoveForm(forms.Form):
    due_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class UntouchedForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=3650, initial=30, required=False)
    unit = forms.IntegerField(required=False)
    account_manager = forms.IntegerField(required=False)
