"""Forms of the process engine's pages: they parse input; the services decide."""

from datetime import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import QueryDict

from retainops.core.access import sees_all_units
from retainops.core.models import User
from retainops.playbooks.choices import Decision
from retainops.playbooks.models import Playbook, Task
from retainops.playbooks.queries import TaskFilters
from retainops.playbooks.services import MAX_ATTACHMENT_BYTES, Upload

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


def as_upload(file: UploadedFile) -> Upload:
    # Read one byte past the limit at most: enough for the service to refuse a file
    # that is too large, without holding an arbitrarily large upload in memory.
    return Upload(
        filename=file.name or "",
        content_type=file.content_type or "application/octet-stream",
        content=file.read(MAX_ATTACHMENT_BYTES + 1),
    )


# Tasks ----------------------------------------------------------------------------------


class CompleteForm(forms.Form):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done; it stays with the task.",
    )
    file = forms.FileField(required=False, label="Attach a file")
    override_reason = forms.CharField(
        required=False,
        label="Complete anyway, because",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only while its checks are unmet: recorded with what was missing.",
    )

    def __init__(self, *args: Any, may_override: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["override_reason"]

    def reason_to_override(self) -> str:
        return str(self.cleaned_data.get("override_reason") or "")

    def uploads(self) -> list[Upload]:
        file = self.cleaned_data.get("file")
        return [as_upload(file)] if file else []


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you reject.",
    )


class ReassignForm(forms.Form):
    to = forms.ModelChoiceField(User.objects.none(), label="Give it to")

    def __init__(self, *args: Any, task: Task, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The people who work in the client's business unit.
        self.fields["to"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, business_units=task.business_unit_id
        ).order_by("first_name", "last_name", "username")


class SkipForm(forms.Form):
    # Optional here: the service refuses an empty reason with its own message.
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why skip it"
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Comment"
    )


# Playbooks ------------------------------------------------------------------------------


class PlaybookSourceForm(forms.Form):
    """A playbook's YAML, typed or pasted, or uploaded as a file (the file wins)."""

    source = forms.CharField(
        required=False,
        label="Definition (YAML)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )
    file = forms.FileField(required=False, label="Or upload a file")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        file = data.get("file")
        if file:
            try:
                data["source"] = file.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError({"file": "The file is not UTF-8 text."}) from None
            # Show what the file held in the text box, so the problems found can be
            # fixed there and checked again.
            shown = QueryDict(mutable=True)
            shown.update(self.data)
            shown["source"] = data["source"]
            self.data = shown
        if not (data.get("source") or "").strip():
            raise forms.ValidationError("Paste the playbook's YAML or upload a file.")
        return data

    def yaml_text(self) -> str:
        return str(self.cleaned_data["source"])


# Runs -----------------------------------------------------------------------------------


class StartRunForm(forms.Form):
    """Start one playbook; one optional date-and-time input per anchor it declares."""

    playbook = forms.ModelChoiceField(Playbook.objects.none(), widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, playbooks: QuerySet[Playbook], chosen: Playbook, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"id_{chosen.key}_%s")
        kwargs.setdefault("initial", {"playbook": chosen.pk})
        super().__init__(*args, **kwargs)
        self.chosen = chosen
        self.fields["playbook"].queryset = playbooks  # type: ignore[attr-defined]
        assert chosen.current is not None
        for name in chosen.current.definition.anchors:
            label = name.replace("_", " ").capitalize()
            self.fields[f"anchor_{name}"] = local_datetime_field(label, required=False)

    def anchors(self) -> dict[str, datetime]:
        return {
            name.removeprefix("anchor_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("anchor_") and value is not None
        }


class CancelRunForm(forms.Form):
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why cancel it"
    )


class AnchorForm(forms.Form):
    name = forms.ChoiceField(choices=[], widget=forms.HiddenInput)
    at = local_datetime_field("When", required=True)

    def __init__(self, *args: Any, anchors: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].choices = [(n, n) for n in anchors]  # type: ignore[attr-defined]


class TaskListForm(forms.Form):
    """The task list's filters, read into queries.TaskFilters."""

    scope = forms.ChoiceField(
        choices=[
            ("mine", "Mine"),
            ("queue", "My queues"),
            ("waiting", "Waiting on others"),
            ("all", "All I may see"),
        ],
        required=False,
        label="Whose",
    )
    due = forms.ChoiceField(
        choices=[
            ("", "Any time"),
            ("overdue", "Overdue"),
            ("today", "Today"),
            ("upcoming", "Later"),
        ],
        required=False,
    )

    def filters(self) -> TaskFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return TaskFilters(scope=data.get("scope") or "mine", due=data.get("due") or "")


class BulkReassignForm(forms.Form):
    to = forms.ModelChoiceField(User.objects.none(), label="Reassign selected to")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # People of the lead's own units; the service checks each task's unit again.
        people = User.objects.filter(is_active=True)
        if not sees_all_units(user):
            people = people.filter(business_units__in=user.unit_ids())
        self.fields["to"].queryset = people.distinct().order_by(  # type: ignore[attr-defined]
            "first_name", "last_name", "username"
        )
