"""The two surveys every agency sends: NPS (0-10 with why) and CSAT (1-5 with why), and
the default detractor rule (an NPS of 0-3 or a CSAT of 1 also opens a complaint)."""

from django.db import migrations

from retainops.voice.questions import standard_questions


def write_reference_data(apps, schema_editor):  # noqa: ANN001, ANN201
    Definition = apps.get_model("voice", "SurveyDefinition")
    Version = apps.get_model("voice", "SurveyVersion")
    Rule = apps.get_model("voice", "DetractorRule")
    for code, name, kind in (
        ("nps", "How likely are you to recommend us?", "nps"),
        ("csat", "How satisfied are you with our service?", "csat"),
    ):
        definition, created = Definition.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        if created:
            Version.objects.create(definition=definition, number=1, questions=standard_questions(kind))
    if not Rule.objects.filter(business_unit__isnull=True).exists():
        Rule.objects.create(complaint_at_nps=3, complaint_at_csat=1, severity="medium")


class Migration(migrations.Migration):
    dependencies = [("voice", "0001_initial")]
    operations = [migrations.RunPython(write_reference_data, migrations.RunPython.noop)]
