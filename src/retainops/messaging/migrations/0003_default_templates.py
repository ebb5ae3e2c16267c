"""Starting message templates; administrators edit them in the pages."""

from django.db import migrations

TEMPLATES = [
    (
        "client-note",
        "Note to a client",
        "A note about {{ client.name }}",
        "Hello {% if client.primary_contact %}{{ client.primary_contact.first_name }}"
        "{% else %}there{% endif %},\n\n\n\nBest regards,\n{{ sender.name }}\n{{ agency.name }}\n",
    ),
    (
        "team-status-change",
        "Status change for the team",
        "{{ client.name }} is now {{ client.status }}",
        "{{ client.name }} ({{ client.business_unit }}) is now {{ client.status }}.\n"
        "Account manager: {{ client.account_manager.name }}\n"
        "Monthly recurring revenue: {{ client.mrr }}\n\n{{ link }}\n",
    ),
]


def create_templates(apps, schema_editor):
    template_model = apps.get_model("messaging", "MessageTemplate")
    for code, name, subject, body in TEMPLATES:
        template_model.objects.get_or_create(
            code=code, defaults={"name": name, "subject": subject, "body_text": body}
        )


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_grant_messages_capability")]
    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
