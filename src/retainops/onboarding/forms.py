"""Forms of onboarding's pages and of the client portal.

They parse what was typed; the services decide. Purchase-order details are plain
text fields named by their requirement's key, so a service's error about a detail
lands on that detail's field (``core.forms.attempt``), and what a value must look
like is checked in one place (``requirements.clean_value``), not here.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from retainops.clients.models import ServiceLine
from retainops.onboarding.choices import DetailKind, ProofDecision, ProofKind
from retainops.onboarding.models import DetailRequirement
from retainops.onboarding.services import MAX_PROOF_BYTES, Line, ProofUpload

EVERY_PROGRAM = "Every program"

# What a browser's datetime-local input sends and shows.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def local_datetime_field(label: str, *, required: bool) -> forms.DateTimeField:
    """A date-and-time input read in the site's time zone (TIME_ZONE), as people type it."""
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT),
    )


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


# Programs -------------------------------------------------------------------------------


def budget_field_name(service: ServiceLine) -> str:
    return f"budget_{service.code}"


class LinesForm(forms.Form):
    """One monthly budget per service of the catalogue; a blank one leaves the service out."""

    def __init__(self, *args: Any, services: Iterable[ServiceLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = list(services)
        for service in self.services:
            self.fields[budget_field_name(service)] = forms.DecimalField(
                label=f"{service.name}: monthly budget",
                required=False,
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            )

    def lines(self) -> list[Line]:
        chosen = [(s, self.cleaned_data.get(budget_field_name(s))) for s in self.services]
        return [Line(service, Decimal(budget)) for service, budget in chosen if budget is not None]


class ProgramForm(LinesForm):
    name = forms.CharField(max_length=200, label="Program name")
    start_date = _date_field("Flight start")
    end_date = _date_field("Flight end")
    go_live_at = local_datetime_field("Planned go-live", required=False)


class GoLiveForm(forms.Form):
    # Named as the service names it, so its refusal lands on this field.
    go_live_at = local_datetime_field("Planned go-live", required=True)

    def when(self) -> datetime:
        at: datetime = self.cleaned_data["go_live_at"]
        return at


# Purchase order -------------------------------------------------------------------------


def _detail_widget(requirement: DetailRequirement, current: str) -> forms.Widget:
    kind = requirement.kind
    if kind == DetailKind.LONG_TEXT:
        return forms.Textarea(attrs={"rows": 3})
    if kind == DetailKind.DATE:
        return forms.DateInput(attrs={"type": "date"})
    if kind == DetailKind.EMAIL:
        return forms.EmailInput()
    if kind == DetailKind.CHOICE:
        options = list(requirement.choices)
        # A value chosen before the list changed stays selectable instead of being
        # silently replaced by the first option when the order is saved again.
        if current and current not in options:
            options.append(current)
        return forms.Select(choices=[("", "—"), *((o, o) for o in options)])
    # Web addresses are typed as text: "harbor.example" is fine, the service adds https://.
    modes: dict[str, str] = {DetailKind.URL: "url", DetailKind.NUMBER: "decimal"}
    return forms.TextInput(attrs={"inputmode": modes.get(kind, "text")})


@dataclass(frozen=True)
class DetailField:
    field: forms.BoundField
    missing: bool
    optional: bool


@dataclass(frozen=True)
class DetailGroup:
    title: str
    fields: list[DetailField]


class OrderForm(forms.Form):
    """One field per requirement, named by its key, grouped by service ("Every program"
    first) for the page."""

    def __init__(
        self,
        *args: Any,
        requirements: Iterable[DetailRequirement],
        missing: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.requirements = list(requirements)
        self.missing_keys = set(missing)
        for requirement in self.requirements:
            current = str(self.initial.get(requirement.key) or "")
            self.fields[requirement.key] = forms.CharField(
                label=requirement.label,
                help_text=requirement.help_text,
                required=False,
                strip=False,  # the service trims, and says when a one-line text has lines
                widget=_detail_widget(requirement, current),
            )

    def details(self) -> dict[str, str]:
        return {r.key: self.cleaned_data.get(r.key) or "" for r in self.requirements}

    def groups(self) -> list[DetailGroup]:
        titles: list[str] = []
        grouped: dict[str, list[DetailField]] = {}
        for requirement in self.requirements:
            title = requirement.service.name if requirement.service else EVERY_PROGRAM
            if title not in grouped:
                titles.append(title)
                grouped[title] = []
            grouped[title].append(
                DetailField(
                    self[requirement.key],
                    missing=requirement.key in self.missing_keys,
                    optional=not requirement.required,
                )
            )
        if EVERY_PROGRAM in titles:
            titles.remove(EVERY_PROGRAM)
            titles.insert(0, EVERY_PROGRAM)
        return [DetailGroup(title, grouped[title]) for title in titles]


class SupplyDetailsForm(OrderForm):
    """The portal's form: the missing details only, and who is sending them."""

    your_name = forms.CharField(
        max_length=200,
        label="Your name",
        help_text="Or your e-mail address: the team sees who sent the details.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Who is sending comes last, under the details, next to the button.
        self.order_fields([*(r.key for r in self.requirements), "your_name"])

    def contact(self) -> str:
        return str(self.cleaned_data["your_name"])


# Proofs ---------------------------------------------------------------------------------


class ProofUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ProofKind.choices, label="Kind")
    title = forms.CharField(
        max_length=200,
        label="Title",
        help_text="Uploading again under the same kind and title adds a new version.",
    )
    file = forms.FileField(label="File")
    note = forms.CharField(
        required=False,
        label="Note for the client",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed since the last version.",
    )

    def upload(self) -> ProofUpload:
        file: UploadedFile = self.cleaned_data["file"]
        # One byte past the limit at most: enough for the service to refuse a file
        # that is too large, without holding an arbitrarily large upload in memory.
        return ProofUpload(
            filename=file.name or "",
            content_type=file.content_type or "application/octet-stream",
            content=file.read(MAX_PROOF_BYTES + 1),
        )


class DecisionForm(forms.Form):
    """The client's answer on a proof's latest version; the buttons carry the decision."""

    decision = forms.ChoiceField(
        choices=[
            (ProofDecision.APPROVED, "Approve"),
            (ProofDecision.CHANGES, "Send back with comments"),
        ]
    )
    comment = forms.CharField(
        required=False,
        label="Comments",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when you send it back: what should change?",
    )
    your_name = forms.CharField(max_length=200, label="Your name")


# Requirements (administration) ----------------------------------------------------------


class RequirementForm(forms.Form):
    service = forms.ModelChoiceField(
        ServiceLine.objects.all(),
        required=False,
        empty_label=EVERY_PROGRAM,
        label="Service",
        help_text=f"{EVERY_PROGRAM}: asked of every program, whatever its services.",
    )
    key = forms.SlugField(
        max_length=60,
        label="Key",
        help_text="Names the detail in the order and the API; letters, digits, - and _.",
    )
    label = forms.CharField(max_length=160, label="Label")
    kind = forms.ChoiceField(choices=DetailKind.choices, initial=DetailKind.TEXT, label="Kind")
    choices = forms.CharField(
        required=False,
        label="Choices",
        help_text="For 'one of a list': the choices, separated by commas.",
    )
    help_text = forms.CharField(max_length=300, required=False, label="Help text")
    required = forms.BooleanField(
        required=False, initial=True, label="Required before the work can start"
    )
    position = forms.IntegerField(min_value=0, max_value=32767, initial=0, label="Position")

    def clean_choices(self) -> list[str]:
        text = str(self.cleaned_data.get("choices") or "")
        return [choice.strip() for choice in text.split(",") if choice.strip()]
