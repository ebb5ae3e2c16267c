"""Forms of the scorecard pages. They parse what was typed; the services decide
(bands in order, signals known and measured once, weights above zero...)."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.formsets import DELETION_FIELD_NAME

from retainops.core.errors import errors_by_field
from retainops.core.models import BusinessUnit
from retainops.health import signals
from retainops.health.models import ScorecardVersion
from retainops.health.services import MeasureSpec

EMPTY_ROWS = 3


def signal_choices(also: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every registered signal by its label and unit; keys a version still names but no
    provider answers any more are kept, so the service can say what is wrong with them."""
    known = {p.key: f"{p.label} ({p.unit})" for p in signals.providers()}
    gone = sorted(set(also) - set(known))
    return [
        ("", "—"),
        *sorted(known.items(), key=lambda item: item[1]),
        *((key, f"{key} (no such signal)") for key in gone),
    ]


class BandsForm(forms.Form):
    green_from = forms.FloatField(label="Green from", help_text="A total of this or more is green.")
    amber_from = forms.FloatField(
        label="Amber from", help_text="This or more is amber; below it, red."
    )
    note = forms.CharField(
        label="Reason for the change",
        max_length=300,
        help_text="Kept with the version, in the history below the scorecard.",
    )


class NewScorecardForm(BandsForm):
    business_unit = forms.ModelChoiceField(BusinessUnit.objects.none(), label="Unit")
    name = forms.CharField(max_length=120, label="Name")
    field_order = ["business_unit", "name", "green_from", "amber_from"]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["note"]
        self.fields["business_unit"].queryset = units.filter(  # type: ignore[attr-defined]
            health_scorecard__isnull=True
        )


class MeasureForm(forms.Form):
    signal = forms.ChoiceField(label="Signal")
    weight = forms.FloatField(label="Weight")
    good = forms.FloatField(label="Full points at")
    bad = forms.FloatField(label="None at")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signal"].choices = choices  # type: ignore[attr-defined]

    def spec(self) -> MeasureSpec:
        data = self.cleaned_data
        return MeasureSpec(data["signal"], data["weight"], data["good"], data["bad"])


class BaseMeasureFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, also: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = signal_choices(also)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "choices": self.choices}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields[DELETION_FIELD_NAME].label = "Remove"

    def kept(self) -> list[MeasureForm]:
        """The rows that become measures: filled in and not marked to remove."""
        initial = self.initial_form_count()
        return [
            form
            for index, form in enumerate(self.forms)
            if (index < initial or form.has_changed()) and not _removed(form)
        ]

    def specs(self) -> list[MeasureSpec]:
        return [form.spec() for form in self.kept()]

    def place(self, field: str, messages: list[str]) -> bool:
        """Put a service's complaint about `measures...` at the row and field it names."""
        parts = field.split(".")
        if parts[0] != "measures":
            return False
        rows = self.kept()
        if len(parts) == 1 or not parts[1].isdigit() or int(parts[1]) >= len(rows):
            self._non_form_errors = self.error_class(
                [*self.non_form_errors(), *messages], error_class="nonform"
            )
            return True
        row = rows[int(parts[1])]
        target = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
        for message in messages:
            row.add_error(target, message)
        return True


def _removed(form: forms.Form) -> bool:
    return bool(getattr(form, "cleaned_data", {}).get(DELETION_FIELD_NAME))


MeasureFormSet = cast(
    type[BaseMeasureFormSet],
    forms.formset_factory(
        MeasureForm, formset=BaseMeasureFormSet, extra=EMPTY_ROWS, can_delete=True
    ),
)


def measure_formset(data: Any = None, *, version: ScorecardVersion | None) -> BaseMeasureFormSet:
    """The rows of a version's measures (a copy: they become a new version's), and
    EMPTY_ROWS more to add measures."""
    measures = list(version.measures.all()) if version else []
    initial = [
        {"signal": m.signal, "weight": m.weight, "good": m.good, "bad": m.bad} for m in measures
    ]
    return MeasureFormSet(
        data, prefix="measures", initial=initial, also=[m.signal for m in measures]
    )


def place_errors(error: ValidationError, form: forms.Form, rows: BaseMeasureFormSet) -> None:
    """Each message of a service's refusal at its field: the form's, or a measure row's."""
    for field, messages in errors_by_field(error).items():
        if rows.place(field, messages):
            continue
        target = field if field in form.fields else None
        for message in messages:
            if target is None and field != NON_FIELD_ERRORS:
                message = f"{field}: {message}"
            form.add_error(target, message)
