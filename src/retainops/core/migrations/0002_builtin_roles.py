"""Create the built-in roles with their default capabilities."""

from django.db import migrations

ROLES = {
    "sales_rep": ("Sales rep", ["client.edit", "client.create", "contract.edit"]),
    "client_success_manager": (
        "Client success manager",
        ["client.edit", "client.create", "client.status"],
    ),
    "account_manager": (
        "Account manager",
        ["client.edit", "client.create", "client.status", "contract.edit"],
    ),
    "creative_director": ("Creative director", []),
    "retention_team": ("Retention team", ["client.status"]),
    "team_lead": ("Team lead", ["client.edit", "client.create", "client.status", "contract.edit"]),
    "department_manager": (
        "Department manager",
        ["client.edit", "client.create", "client.status", "contract.edit", "data.import"],
    ),
    "approver": ("Approver", []),
    "finance": ("Finance", ["contract.edit"]),
    "accounting": ("Accounting", ["contract.edit"]),
    "operations_lead": (
        "Operations lead",
        ["client.edit", "client.create", "client.status", "data.import"],
    ),
    "partner_team": ("Partner team", []),
    "service_team": ("Service team", []),
    "administrator": (
        "Administrator",
        [
            "units.see_all",
            "client.create",
            "client.edit",
            "client.status",
            "client.delete",
            "contract.edit",
            "data.import",
            "catalogue.manage",
            "users.manage",
            "units.manage",
        ],
    ),
}


def create_roles(apps, schema_editor):
    role_model = apps.get_model("core", "Role")
    for code, (label, capabilities) in ROLES.items():
        role_model.objects.update_or_create(
            code=code, defaults={"label": label, "capabilities": capabilities}
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
