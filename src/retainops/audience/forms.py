"""Forms of the end-customer data pages."""

from django import forms

from retainops.audience.choices import Channel, FileFormat, Segment, SourceKind
from retainops.audience.models import AdviceRule, DataSet, Source


class DataSetForm(forms.ModelForm):
    class Meta:
        model = DataSet
        fields = ["name", "currency", "match_threshold", "recent_days", "horizon_weeks"]


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = [
            "name",
            "kind",
            "file_format",
            "encoding",
            "delimiter",
            "date_format",
            "default_country",
            "default_currency",
        ]
        widgets = {
            "kind": forms.Select(choices=SourceKind.choices),
            "file_format": forms.Select(choices=FileFormat.choices),
        }


class UploadForm(forms.Form):
    file = forms.FileField(label="Order file")


class RuleForm(forms.ModelForm):
    class Meta:
        model = AdviceRule
        fields = [
            "position",
            "name",
            "segment",
            "max_recent_orders",
            "min_expected_value",
            "max_expected_value",
            "min_p_alive",
            "channel",
        ]
        widgets = {
            "segment": forms.Select(choices=[("", "Any segment"), *Segment.choices]),
            "channel": forms.Select(choices=Channel.choices),
        }


class ThresholdForm(forms.Form):
    match_threshold = forms.FloatField(min_value=0.5, max_value=0.9999, label="Match threshold")
