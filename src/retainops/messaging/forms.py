"""Forms of the messaging pages: they parse input; the services decide.

A service's ValidationError goes back on these forms with `core.forms.attempt`,
so the field names here match the services' (`to`, `subject`, `body_text`, ...).
"""

import re
from typing import Any

from django import forms

from retainops.clients.models import Client, Contact
from retainops.clients.queries import visible_clients
from retainops.core.models import Role, User
from retainops.messaging.choices import Channel, MemberKind, MessageState
from retainops.messaging.models import DistributionList
from retainops.messaging.queries import MessageFilters

ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *MessageState.choices], required=False)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    client = forms.CharField(required=False, label="Client", max_length=200)

    def filters(self) -> MessageFilters:
        """The filters asked for; an invalid value filters nothing rather than failing."""
        data = self.cleaned_data if self.is_valid() else {}
        return MessageFilters(
            state=data.get("state") or "",
            channel=data.get("channel") or "",
            client_name=data.get("client") or "",
        )


def _recipient_choices(client: Client) -> list[tuple[str, list[tuple[str, str]]]]:
    contacts = [(f"contact:{c.pk}", f"{c.name} <{c.email}>") for c in client.contacts.all()]
    team = [
        (f"role:{m.role.code}", f"{m.role.label}: {m.user}")
        for m in client.team.select_related("role", "user")
    ]
    lists = [(f"list:{d.code}", d.name) for d in DistributionList.objects.all()]
    groups = [("Contacts", contacts), ("Team", team), ("Distribution lists", lists)]
    return [(label, options) for label, options in groups if options]


class ComposeForm(forms.Form):
    """An e-mail to a client: its contacts (all ticked at first), team, lists, any address."""

    to = forms.MultipleChoiceField(
        label="Recipients", required=False, widget=forms.CheckboxSelectMultiple
    )
    extra = forms.CharField(
        label="Other addresses",
        required=False,
        help_text="E-mail addresses, separated by commas.",
    )
    subject = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}))

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to: Any = self.fields["to"]
        to.choices = _recipient_choices(client)
        to.initial = [f"contact:{c.pk}" for c in client.contacts.all()]

    def recipient_specs(self) -> list[str]:
        """The ticked recipients, then each extra address (the service resolves them all)."""
        extra = [a for a in ADDRESS_SEPARATORS.split(self.cleaned_data["extra"]) if a]
        return [*self.cleaned_data["to"], *extra]


class TemplateForm(forms.Form):
    """A message template, plus the client to preview it with (not saved)."""

    code = forms.SlugField(max_length=60, help_text="Processes refer to the template by it.")
    name = forms.CharField(max_length=160)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    subject = forms.CharField(max_length=300, required=False)
    body_text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 10}))
    body_html = forms.CharField(
        label="HTML", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    preview_client = forms.ModelChoiceField(
        Client.objects.none(), required=False, label="Preview with client"
    )

    FIELDS = ("code", "name", "channel", "subject", "body_text", "body_html")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        preview: Any = self.fields["preview_client"]
        preview.queryset = visible_clients(user).order_by("name")

    def template_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class DistributionListForm(forms.Form):
    code = forms.SlugField(max_length=60, help_text="Recipients name the list as list:<code>.")
    name = forms.CharField(max_length=160)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.client.name}: {obj.name} <{obj.email}>"


class MemberForm(forms.Form):
    """One new member of a list; only the field of the chosen kind is used."""

    kind = forms.ChoiceField(choices=MemberKind.choices)
    user = forms.ModelChoiceField(User.objects.filter(is_active=True), required=False)
    contact = ContactChoiceField(Contact.objects.none(), required=False)
    role = forms.ModelChoiceField(Role.objects.all(), required=False)
    address = forms.EmailField(required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = Contact.objects.filter(client__in=visible_clients(user))
        contact: Any = self.fields["contact"]
        contact.queryset = contacts.select_related("client").order_by("client__name", "name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind and not data.get(kind) and kind not in self.errors:
            self.add_error(kind, f"Choose the {MemberKind(kind).label.lower()} to add.")
        return data

    def target(self) -> Any:
        return self.cleaned_data[self.cleaned_data["kind"]]


class WebhookForm(forms.Form):
    """A chat webhook; its secret is never shown again, and blank keeps the one set."""

    code = forms.SlugField(max_length=40)
    name = forms.CharField(max_length=120)
    url = forms.URLField(label="URL", max_length=500)
    secret = forms.CharField(
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Standard Webhooks secret: whsec_ followed by base64.",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args: Any, secret_set: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if secret_set:
            secret = self.fields["secret"]
            secret.required = False
            secret.help_text = "Set. Leave blank to keep it, or type a new one to replace it."

    def changes(self) -> dict[str, Any]:
        """What to save: a blank secret on an edit means 'keep the current one'."""
        data = dict(self.cleaned_data)
        if not data.get("secret"):
            data.pop("secret", None)
        return data
