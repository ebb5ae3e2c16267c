"""Forms of the complaint pages: raise, filter, the one-step actions with a note, resolve
with a root cause and an optional improvement action, reassign, and a new action."""

from typing import Any

from django import forms

from retainops.clients.models import Client, Contact
from retainops.complaints.choices import ComplaintChannel, ComplaintStatus, Severity
from retainops.complaints.models import ComplaintCategory, RootCause
from retainops.complaints.queries import ComplaintFilter
from retainops.core.capabilities import Capability
from retainops.core.models import User


def handlers_of(client: Client) -> Any:
    """People who may own a complaint about the client (the services check again)."""
    people = User.objects.filter(is_active=True).order_by("first_name", "username")
    in_unit = people.filter(business_units=client.business_unit_id)
    return [p for p in in_unit.distinct() if p.has_capability(Capability.HANDLE_COMPLAINTS)]


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class RaiseForm(forms.Form):
    summary = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    channel = forms.ChoiceField(choices=ComplaintChannel.choices)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MEDIUM)
    category = forms.ModelChoiceField(queryset=ComplaintCategory.objects.filter(is_active=True))
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False)
    owner = _PersonChoice(
        queryset=User.objects.none(),
        required=False,
        help_text="Empty: the client's account manager.",
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = client.contacts.all()  # type: ignore[attr-defined]
        owners = [p.pk for p in handlers_of(client)]
        self.fields["owner"].queryset = User.objects.filter(pk__in=owners)  # type: ignore[attr-defined]


class PortalComplaintForm(forms.Form):
    """What a client contact tells us through the portal (severity without "critical":
    the agency grades that one)."""

    contact_name = forms.CharField(max_length=200, label="Your name")
    summary = forms.CharField(max_length=200, label="What went wrong, in a line")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label="Tell us more")
    category = forms.ModelChoiceField(
        queryset=ComplaintCategory.objects.filter(is_active=True), label="About"
    )
    severity = forms.ChoiceField(
        choices=[c for c in Severity.choices if c[0] != Severity.CRITICAL],
        initial=Severity.MEDIUM,
        label="How much it hurts",
    )


class FilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *ComplaintStatus.choices], required=False
    )
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    open = forms.BooleanField(required=False, label="Open only")
    mine = forms.BooleanField(required=False, label="Mine")

    def filters(self) -> ComplaintFilter:
        if not self.is_valid():
            return ComplaintFilter()
        data = self.cleaned_data
        return ComplaintFilter(
            q=data["q"],
            status=data["status"],
            severity=data["severity"],
            open_only=data["open"],
            mine=data["mine"],
        )


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    root_cause = forms.ModelChoiceField(queryset=RootCause.objects.filter(is_active=True))
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    action_title = forms.CharField(required=False, label="Improvement action (optional)")
    action_owner = _PersonChoice(queryset=User.objects.none(), required=False, label="Its owner")
    action_due = forms.DateField(
        required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = [p.pk for p in handlers_of(client)]
        self.fields["action_owner"].queryset = User.objects.filter(pk__in=owners)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action_title") and not (data.get("action_owner") and data.get("action_due")):
            self.add_error("action_owner", "An improvement action needs an owner and a due date.")
        return data


class ActionForm(forms.Form):
    prefix = "action"
    title = forms.CharField(max_length=200)
    owner = _PersonChoice(queryset=User.objects.none())
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = [p.pk for p in handlers_of(client)]
        self.fields["owner"].queryset = User.objects.filter(pk__in=owners)  # type: ignore[attr-defined]


class ReassignForm(forms.Form):
    prefix = "reassign"
    owner = _PersonChoice(queryset=User.objects.none())

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = [p.pk for p in handlers_of(client)]
        self.fields["owner"].queryset = User.objects.filter(pk__in=owners)  # type: ignore[attr-defined]
