"""Starting response profiles, the service team's targets, the warning template and
who may plan and override drops."""

from django.db import migrations

PROFILES = {
    # channel: (half-life hours, span hours, phone, chat, e-mail)
    "mail": (48.0, 240, 0.6, 0.15, 0.25),
    "banner": (6.0, 48, 0.3, 0.5, 0.2),
    "tv": (0.75, 12, 0.75, 0.2, 0.05),
    "print": (30.0, 168, 0.65, 0.1, 0.25),
    "email_blast": (4.0, 72, 0.3, 0.3, 0.4),
    "outbound": (12.0, 72, 0.9, 0.0, 0.1),
}
TARGETS = {
    # answer channel: (AHT s, target answer s, service level, max occupancy, shrinkage)
    "phone": (180, 20, 0.8, 0.85, 0.3),
    "chat": (300, 60, 0.8, 0.85, 0.3),
    "email": (420, 3600, 0.9, 0.9, 0.3),
}
TEMPLATE = {
    "code": "drops-gates-open",
    "name": "Drops: gates still open as the drop nears",
    "subject": "{{ drop.name }} goes out in {{ drop.days }} days with gates open",
    "body_text": (
        "{{ drop.name }} goes out on {{ drop.drop_at }}; the service team is not ready yet.\n"
        "Still open:\n{{ drop.gates }}\n\n"
        "Customers who respond and reach an agent who knows nothing of the offer hang up.\n"
    ),
}
PLANNERS = [
    "account_manager",
    "client_success_manager",
    "team_lead",
    "department_manager",
    "operations_lead",
    "service_team",
]
OVERRIDERS = ["team_lead", "department_manager", "operations_lead"]


def write_reference_data(apps, schema_editor):
    profile = apps.get_model("drops", "ResponseProfile")
    for channel, (half_life, span, phone, chat, email) in PROFILES.items():
        profile.objects.get_or_create(
            channel=channel,
            defaults={
                "half_life_hours": half_life,
                "span_hours": span,
                "phone": phone,
                "chat": chat,
                "email": email,
            },
        )
    target = apps.get_model("drops", "StaffingTarget")
    for channel, (aht, answer, level, occupancy, shrinkage) in TARGETS.items():
        target.objects.get_or_create(
            answer_channel=channel,
            defaults={
                "aht_seconds": aht,
                "target_answer_seconds": answer,
                "service_level": level,
                "max_occupancy": occupancy,
                "shrinkage": shrinkage,
            },
        )
    apps.get_model("messaging", "MessageTemplate").objects.get_or_create(
        code=TEMPLATE["code"], defaults=TEMPLATE
    )
    _grant(apps, PLANNERS, "drops.plan")
    _grant(apps, OVERRIDERS, "drops.override")


def _grant(apps, codes, capability):
    role_model = apps.get_model("core", "Role")
    for role in role_model.objects.filter(code__in=codes):
        if capability not in role.capabilities:
            role.capabilities = [*role.capabilities, capability]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [
        ("drops", "0001_initial"),
        ("core", "0002_builtin_roles"),
        ("messaging", "0003_default_templates"),
    ]
    operations = [migrations.RunPython(write_reference_data, migrations.RunPython.noop)]
