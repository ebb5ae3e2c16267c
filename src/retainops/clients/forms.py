"""Forms of the client pages: they parse input; the services decide."""

from typing import Any

from django import forms

from retainops.clients.choices import ClientStatus
from retainops.clients.list_columns import column_sorts, list_columns
from retainops.clients.models import Client, Contact, Contract, ServiceLine, Tool
from retainops.clients.queries import SORTS
from retainops.core.access import sees_all_units
from retainops.core.choices import CLIENT_TEAM_ROLES
from retainops.core.models import BusinessUnit, Role, User


def units_for(user: Any) -> Any:
    if sees_all_units(user):
        return BusinessUnit.objects.filter(is_active=True)
    return BusinessUnit.objects.filter(pk__in=user.unit_ids(), is_active=True)


class ClientFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    unit = forms.ModelChoiceField(BusinessUnit.objects.none(), required=False, label="Unit")
    status = forms.ChoiceField(choices=[("", "Any status"), *ClientStatus.choices], required=False)
    owner = forms.ModelChoiceField(User.objects.none(), required=False, label="Team member")
    service = forms.ModelChoiceField(ServiceLine.objects.none(), required=False)
    sort = forms.ChoiceField(choices=[(k, k) for k in SORTS], required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Columns other apps add bring their sort keys and filters (list_columns.py).
        self.fields["sort"].choices = [(k, k) for k in (*SORTS, *column_sorts())]  # type: ignore[attr-defined]
        for column in list_columns():
            if column.filter_choices:
                self.fields[column.name] = forms.ChoiceField(
                    choices=[("", f"Any {column.filter_label.lower()}"), *column.filter_choices],
                    required=False,
                    label=column.filter_label,
                )
        units = units_for(user)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, business_units__in=units
        ).distinct()
        self.fields["service"].queryset = ServiceLine.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "business_unit", "external_id", "website", "industry", "sold_on", "notes"]
        widgets = {"sold_on": forms.DateInput(attrs={"type": "date"})}
        labels = {"external_id": "CRM id"}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = units_for(user)  # type: ignore[attr-defined]

    def _post_clean(self) -> None:
        # The service validates the whole model with the person's permissions;
        # skip ModelForm's own instance construction so nothing is set twice.
        pass


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "title", "is_primary"]

    def _post_clean(self) -> None:
        pass


class TeamAssignForm(forms.Form):
    role = forms.ModelChoiceField(Role.objects.filter(code__in=CLIENT_TEAM_ROLES))
    user = forms.ModelChoiceField(
        User.objects.filter(is_active=True), required=False, help_text="Empty removes the role."
    )


class ClientToolForm(forms.Form):
    tool = forms.ModelChoiceField(Tool.objects.filter(is_active=True))
    reference = forms.CharField(required=False, max_length=200)


class ContractForm(forms.ModelForm):
    """Contract terms, plus one budget field per active service of the catalogue."""

    activate = forms.BooleanField(
        required=False, initial=True, help_text="Active contracts count toward MRR."
    )

    class Meta:
        model = Contract
        fields = ["reference", "currency", "start_date", "term_months", "renewal_date", "notes"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "renewal_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, with_lines: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = list(ServiceLine.objects.filter(is_active=True))
        if not with_lines:
            del self.fields["activate"]
            return
        for service in self.services:
            self.fields[f"budget_{service.code}"] = forms.DecimalField(
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                label=f"{service.name}: monthly budget",
            )

    def _post_clean(self) -> None:
        pass

    def terms(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def lines(self) -> list[dict[str, Any]]:
        return [
            {"service": s, "monthly_budget": self.cleaned_data[f"budget_{s.code}"]}
            for s in self.services
            if self.cleaned_data.get(f"budget_{s.code}") is not None
        ]


class ContractLineForm(forms.Form):
    service = forms.ModelChoiceField(ServiceLine.objects.filter(is_active=True))
    monthly_budget = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2)


def contract_line_form_shown_per_contract() -> ContractLineForm:
    """The empty line form a client's page repeats under each contract. A model choice
    field reads its queryset again each time it renders: the services are read once here,
    so the page costs one query for them however many contracts it lists."""
    form = ContractLineForm()
    service = form.fields["service"]
    # Iterated, not listed: list() would first ask the choices their length, a COUNT query.
    service.choices = [*iter(service.choices)]  # type: ignore[attr-defined]
    return form
