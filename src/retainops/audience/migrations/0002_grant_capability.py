"""Who analyses end-customer data: account managers, department managers, operations
leads and administrators."""

from django.db import migrations

ANALYSTS = ["account_manager", "department_manager", "operations_lead", "administrator"]
CAPABILITY = "audience.analyse"


def grant(apps, schema_editor):
    role_model = apps.get_model("core", "Role")
    for role in role_model.objects.filter(code__in=ANALYSTS):
        if CAPABILITY not in role.capabilities:
            role.capabilities = [*role.capabilities, CAPABILITY]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("audience", "0001_initial"), ("core", "0002_builtin_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
