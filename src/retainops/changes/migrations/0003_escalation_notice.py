"""The message that tells the escalation chosen on a change request (the retention team,
a team lead or the department manager of the client's unit) that a request was raised."""

from django.db import migrations

TEMPLATE = {
    "code": "change-escalated",
    "name": "Change request escalated",
    "subject": (
        "Escalated to the {{ request.escalation|lower }}: {{ request.kind }} for {{ client.name }}"
    ),
    "body_text": (
        "{{ request.raised_by }} raised a change request for {{ client.name }} "
        "({{ client.business_unit }}) and escalated it to the {{ request.escalation|lower }}.\n\n"
        "Kind: {{ request.kind }}\n"
        "Reason: {{ request.reason }}\n"
        "{% if request.reason_text %}In the client's words: {{ request.reason_text }}\n"
        "{% endif %}"
        "Requested effective date: {{ request.effective_date }}\n"
        "{% if request.notes %}\nNotes:\n{{ request.notes }}\n{% endif %}\n"
        "The request: {{ request.url }}\n"
    ),
}


def write_escalation_template(apps, schema_editor):
    template_model = apps.get_model("messaging", "MessageTemplate")
    template_model.objects.get_or_create(
        code=TEMPLATE["code"], defaults={**TEMPLATE, "channel": "email"}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0002_reference_data"),
        ("messaging", "0003_default_templates"),
    ]
    operations = [migrations.RunPython(write_escalation_template, migrations.RunPython.noop)]
