"""Starting reasons, the distribution lists and templates the approval playbook uses, and
who may raise change requests."""

from django.db import migrations

REASONS = [
    ("budget-cut", "Reducing the marketing budget"),
    ("poor-results", "Not seeing the results expected"),
    ("switching-agency", "Moving to another agency or vendor"),
    ("switching-service", "Switching to another of our services"),
    ("seasonal", "Seasonal business: pausing for the quiet months"),
    ("closing", "Business closing or sold"),
    ("in-house", "Bringing marketing in-house"),
    ("other", "Other (see the notes)"),
]

LISTS = [
    ("change-notice", "Approved changes", "Operations lead, digital marketing leads and managers."),
    ("vendor-notices", "Vendor notices", "Where cancellation notices to the ad vendor go."),
]

RAISERS = [
    "account_manager",
    "client_success_manager",
    "retention_team",
    "team_lead",
    "department_manager",
    "operations_lead",
    "administrator",
]

TEMPLATES = [
    {
        "code": "change-approved",
        "name": "Change request approved",
        "subject": "Approved: {{ request.kind }} for {{ client.name }}, effective {{ request.effective_date }}",
        "body_text": (
            "{{ request.kind }} for {{ client.name }} ({{ client.business_unit }}) is approved.\n"
            "Effective: {{ request.effective_date }}\n"
            "Reason: {{ request.reason }}{% if request.reason_text %} ({{ request.reason_text }})"
            "{% endif %}\n"
            "{% if request.credit_amount %}Credit issued: {{ request.credit_amount }}\n{% endif %}"
            "{% for line in request.lines %}- {{ line.action }}: {{ line.service }}"
            "{% if line.monthly_budget %} ({{ line.monthly_budget }} a month){% endif %}\n"
            "{% endfor %}\n"
            "Change notes:\n{{ request.notes }}\n\n"
            "The request, with everything consolidated: {{ request.url }}\n"
        ),
    },
    {
        "code": "change-returned",
        "name": "Change request returned to its submitter",
        "subject": "Returned: {{ request.kind }} for {{ client.name }}",
        "body_text": (
            "Hello {{ request.submitted_by }},\n\n"
            "The {{ request.kind|lower }} for {{ client.name }} was not approved: "
            "{{ request.returned_reason }}\n\n"
            "Change it and submit it again, or withdraw it: {{ request.url }}\n"
        ),
    },
    {
        "code": "vendor-cancellation-notice",
        "name": "Cancellation notice to the vendor",
        "subject": "Cancellation: {{ client.name }}, effective {{ request.effective_date }}",
        "body_text": (
            "Hello,\n\nPlease be advised {{ client.name }} will cancel, effective "
            "{{ request.effective_date }}, for {{ request.reason|lower }}"
            "{% if request.reason_text %} ({{ request.reason_text }}){% endif %}.\n\n"
            "Best regards,\n{{ agency.name }}\n"
        ),
    },
]


def write_reference_data(apps, schema_editor):
    reason_model = apps.get_model("changes", "ChangeReason")
    for code, label in REASONS:
        reason_model.objects.get_or_create(code=code, defaults={"label": label})
    list_model = apps.get_model("messaging", "DistributionList")
    for code, name, description in LISTS:
        list_model.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )
    template_model = apps.get_model("messaging", "MessageTemplate")
    for template in TEMPLATES:
        template_model.objects.get_or_create(
            code=template["code"], defaults={**template, "channel": "email"}
        )
    role_model = apps.get_model("core", "Role")
    for role in role_model.objects.filter(code__in=RAISERS):
        if "changes.raise" not in role.capabilities:
            role.capabilities = [*role.capabilities, "changes.raise"]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0001_initial"),
        ("core", "0002_builtin_roles"),
        ("messaging", "0003_default_templates"),
    ]
    operations = [migrations.RunPython(write_reference_data, migrations.RunPython.noop)]
