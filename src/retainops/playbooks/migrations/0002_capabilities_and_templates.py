"""Who may run the process engine, and the message templates its timers and sample use."""

from django.db import migrations

GRANTS = {
    "playbooks.manage": ["administrator", "operations_lead"],
    "runs.manage": [
        "administrator",
        "operations_lead",
        "department_manager",
        "team_lead",
        "account_manager",
        "client_success_manager",
        "sales_rep",
    ],
    "tasks.supervise": ["administrator", "operations_lead", "department_manager", "team_lead"],
}

TEMPLATES = [
    {
        "code": "task-reminder",
        "name": "Task reminder",
        "subject": "Reminder: {{ task.title }} ({{ client.name }})",
        "body_text": (
            "Hello,\n\n"
            "{{ task.title }} for {{ client.name }} is due {{ task.due_at }}.\n\n"
            "Open it: {{ task.url }}\n\n"
            "({{ run.playbook }})\n"
        ),
    },
    {
        "code": "task-escalation",
        "name": "Task escalation",
        "subject": "Missed: {{ task.title }} ({{ client.name }})",
        "body_text": (
            "Hello,\n\n"
            "{{ task.title }} for {{ client.name }} was due {{ task.due_at }} and is not done.\n"
            "It is with {{ task.owner }}.\n\n"
            "Open it: {{ task.url }}\n\n"
            "({{ run.playbook }})\n"
        ),
    },
    {
        "code": "handoff-first-contact",
        "name": "Hand-off: first contact made",
        "subject": "{{ client.name }}: first contact made",
        "body_text": (
            "Hello {{ client.sales_rep.first_name }},\n\n"
            "{{ client.account_manager.name }} has made first contact with {{ client.name }}; "
            "operations has the account from here.\n\n"
            "{{ agency.name }}\n"
        ),
    },
]


def grant(apps, schema_editor):
    role_model = apps.get_model("core", "Role")
    for capability, holders in GRANTS.items():
        for role in role_model.objects.filter(code__in=holders):
            if capability not in role.capabilities:
                role.capabilities = [*role.capabilities, capability]
                role.save(update_fields=["capabilities"])


def create_templates(apps, schema_editor):
    template_model = apps.get_model("messaging", "MessageTemplate")
    for template in TEMPLATES:
        template_model.objects.get_or_create(
            code=template["code"], defaults={**template, "channel": "email"}
        )


def write_reference_data(apps, schema_editor):
    grant(apps, schema_editor)
    create_templates(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("playbooks", "0001_initial"),
        ("core", "0002_builtin_roles"),
        ("messaging", "0003_default_templates"),
    ]
    operations = [migrations.RunPython(write_reference_data, migrations.RunPython.noop)]
