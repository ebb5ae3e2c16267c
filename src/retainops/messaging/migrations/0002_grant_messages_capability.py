"""Administrators and operations leads manage the outbox, templates and lists."""

from django.db import migrations

HOLDERS = ["administrator", "operations_lead"]


def grant(apps, schema_editor):
    role_model = apps.get_model("core", "Role")
    for role in role_model.objects.filter(code__in=HOLDERS):
        if "messages.manage" not in role.capabilities:
            role.capabilities = [*role.capabilities, "messages.manage"]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial"), ("core", "0002_builtin_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
