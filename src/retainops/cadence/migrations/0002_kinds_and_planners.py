"""The starting kinds of planned contact, and who may edit contact plans."""

from django.db import migrations

KINDS = [
    # code, label, channel, window days, grace days
    ("weekly-email", "Weekly e-mail", "email", 1, 3),
    ("call", "Call", "call", 2, 7),
    ("monthly-report-call", "Monthly report, then a call", "call", 3, 10),
    ("quarterly-meeting", "Quarterly meeting", "meeting", 7, 21),
    ("newsletter", "Newsletter", "email", 2, 7),
]

PLANNERS = [
    "account_manager",
    "client_success_manager",
    "team_lead",
    "department_manager",
    "operations_lead",
    "administrator",
]


def write_reference_data(apps, schema_editor):
    kind_model = apps.get_model("cadence", "ContactKind")
    for code, label, channel, window, grace in KINDS:
        kind_model.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "channel": channel,
                "window_days": window,
                "grace_days": grace,
            },
        )
    role_model = apps.get_model("core", "Role")
    for role in role_model.objects.filter(code__in=PLANNERS):
        if "cadence.plan" not in role.capabilities:
            role.capabilities = [*role.capabilities, "cadence.plan"]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("cadence", "0001_initial"), ("core", "0002_builtin_roles")]

    operations = [migrations.RunPython(write_reference_data, migrations.RunPython.noop)]
