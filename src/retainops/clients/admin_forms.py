"""Forms of the catalogue's administration pages (services, tools and boards).

Like the other administration forms they only parse what was typed; the
catalogue services validate and decide.
"""

from django import forms

from retainops.clients.choices import ToolKind
from retainops.core.admin_forms import active_flag


class ServiceLineForm(forms.Form):
    code = forms.SlugField(max_length=40)
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea)
    is_active = active_flag()


class ToolForm(forms.Form):
    code = forms.SlugField(max_length=40)
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=ToolKind.choices, initial=ToolKind.TOOL)
    platform_exit_only = forms.BooleanField(
        label="Remove only when the client leaves the platform entirely",
        required=False,
        help_text="Offboarding from a single service keeps the client in this tool.",
    )
    is_active = active_flag()
