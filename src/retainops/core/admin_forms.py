"""Forms of the administration pages.

They only parse what was typed; the services validate and decide, and the
views put a service's errors back on these forms (``core.forms.attempt``) so a
page shows every failure in the same place, whoever found it.
"""

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from retainops.core.capabilities import Capability
from retainops.core.models import BusinessUnit, Role, Team, User
from retainops.core.time_zones import time_zone_names


def active_flag() -> forms.BooleanField:
    return forms.BooleanField(
        label="Active", required=False, initial=True, help_text="Inactive entries stay on record."
    )


def _checkboxes(queryset: QuerySet[Any], label: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=queryset, required=False, label=label, widget=forms.CheckboxSelectMultiple
    )


class BusinessUnitForm(forms.Form):
    code = forms.SlugField(max_length=40)
    name = forms.CharField(max_length=120)
    is_active = active_flag()


class RoleForm(forms.Form):
    """A role; the code of a built-in role is shown but cannot be changed."""

    code = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=80)
    description = forms.CharField(required=False, widget=forms.Textarea)
    capabilities = forms.MultipleChoiceField(
        choices=Capability.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if role is not None and role.is_builtin:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "Built-in role: processes refer to this code."

    def changes(self) -> dict[str, Any]:
        """The cleaned values a service may apply (never a locked code)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }


def _time_zone_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[("", "The site's time zone"), *((n, n) for n in time_zone_names())],
        required=False,
        help_text="Where this person reads times: due dates, reminders, the timeline.",
    )


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    time_zone = _time_zone_field()
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput, help_text="At least 8 characters."
    )
    roles = _checkboxes(Role.objects.all(), "Roles")
    business_units = _checkboxes(BusinessUnit.objects.all(), "Business units")


class UserEditForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    time_zone = _time_zone_field()
    is_active = forms.BooleanField(
        label="Active", required=False, help_text="Inactive people cannot sign in."
    )
    roles = _checkboxes(Role.objects.all(), "Roles")
    business_units = _checkboxes(BusinessUnit.objects.all(), "Business units")

    PROFILE_FIELDS = ("first_name", "last_name", "email", "time_zone", "is_active")

    def profile(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.PROFILE_FIELDS}

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        initial = {name: getattr(user, name) for name in cls.PROFILE_FIELDS}
        initial["roles"] = list(user.roles.all())
        initial["business_units"] = list(user.business_units.all())
        return initial


class UserFilterForm(forms.Form):
    """The search and filters above the user list (all optional, read from the query)."""

    q = forms.CharField(required=False, label="Search")
    role = forms.ModelChoiceField(
        Role.objects.all(), to_field_name="code", required=False, empty_label="Any role"
    )
    unit = forms.ModelChoiceField(
        BusinessUnit.objects.all(), to_field_name="code", required=False, empty_label="Any unit"
    )

    def apply(self, users: QuerySet[User]) -> QuerySet[User]:
        """Narrow the users by whichever filters parsed; invalid ones are ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        text = (data.get("q") or "").strip()
        if text:
            users = users.filter(
                Q(username__icontains=text)
                | Q(first_name__icontains=text)
                | Q(last_name__icontains=text)
                | Q(email__icontains=text)
            )
        if data.get("role"):
            users = users.filter(roles=data["role"])
        if data.get("unit"):
            users = users.filter(business_units=data["unit"])
        return users


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    business_unit = forms.ModelChoiceField(
        BusinessUnit.objects.all(), required=False, empty_label="No unit"
    )
    members = forms.ModelMultipleChoiceField(User.objects.none(), required=False)

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["members"]
        assert isinstance(members, forms.ModelMultipleChoiceField)
        members.queryset = self._candidates(team)
        members.widget.attrs["size"] = 12

    @staticmethod
    def _candidates(team: Team | None) -> QuerySet[User]:
        """Active people, plus any inactive current member (so saving does not drop them)."""
        wanted = Q(is_active=True)
        if team is not None and team.pk:
            wanted |= Q(teams=team)
        return User.objects.filter(wanted).distinct().order_by("username")
