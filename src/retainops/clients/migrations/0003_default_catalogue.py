"""A starting service catalogue and tool list; administrators edit both."""

from django.db import migrations

SERVICES = [
    ("targeted-display", "Targeted display"),
    ("seo", "SEO"),
    ("sem", "SEM"),
    ("ott", "OTT / connected TV"),
    ("event-targeting", "Event targeting"),
    ("website", "Website"),
    ("social", "Paid social"),
    ("email", "E-mail marketing"),
]

TOOLS = [
    ("crm", "CRM", "tool", True),
    ("project-board", "Project management board", "board", False),
    ("ad-platform", "Ad platform account", "tool", False),
    ("analytics", "Analytics property", "tool", False),
    ("reporting", "Reporting dashboard", "tool", False),
    ("billing", "Billing system", "tool", True),
    ("chat-channel", "Client chat channel", "board", False),
]


def create_catalogue(apps, schema_editor):
    service_model = apps.get_model("clients", "ServiceLine")
    tool_model = apps.get_model("clients", "Tool")
    for code, name in SERVICES:
        service_model.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, kind, exit_only in TOOLS:
        tool_model.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "platform_exit_only": exit_only}
        )


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]
    operations = [migrations.RunPython(create_catalogue, migrations.RunPython.noop)]
