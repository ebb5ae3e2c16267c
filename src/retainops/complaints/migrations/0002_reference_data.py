"""Starting categories and root causes, a default service level per severity for every
unit, the notices' message templates, and who handles and configures complaints."""

from django.db import migrations

CATEGORIES = [
    ("reporting", "Reporting and communication"),
    ("results", "Results and performance"),
    ("billing", "Billing and invoices"),
    ("service", "Service and responsiveness"),
    ("website", "Website and technical issues"),
    ("other", "Other (see the description)"),
]

ROOT_CAUSES = [
    ("process-gap", "A gap in our process"),
    ("missed-handoff", "A missed hand-off between teams"),
    ("expectations", "Expectations not set at the sale"),
    ("vendor", "A vendor or platform problem"),
    ("staff-error", "A mistake by our staff"),
    ("client-side", "On the client's side"),
    ("no-fault", "No fault found"),
]

# Business minutes (480 make a working day of eight hours): first response, resolution.
POLICIES = {
    "critical": (60, 480),
    "high": (120, 960),
    "medium": (240, 2400),
    "low": (480, 4800),
}

HANDLERS = [
    "account_manager",
    "client_success_manager",
    "retention_team",
    "team_lead",
    "department_manager",
    "operations_lead",
    "service_team",
    "administrator",
]
MANAGERS = ["operations_lead", "administrator"]

_LINK = "\n\nThe complaint: {{ complaint.url }}\n"
TEMPLATES = [
    {
        "code": "complaint-clock-warning",
        "name": "Complaint: a service level is about to be breached",
        "subject": "Due soon: {{ complaint.summary }} ({{ client.name }})",
        "body_text": (
            "Hello {{ complaint.owner }},\n\n"
            "The {{ complaint.clock }} clock of this {{ complaint.severity|lower }} complaint "
            "from {{ client.name }} has {{ complaint.left }}; it breaches at "
            "{{ complaint.due_at }}." + _LINK
        ),
    },
    {
        "code": "complaint-clock-breached",
        "name": "Complaint: a service level was breached",
        "subject": "Breached: {{ complaint.summary }} ({{ client.name }})",
        "body_text": (
            "The {{ complaint.clock }} target of a {{ complaint.severity|lower }} complaint "
            "from {{ client.name }} was missed. Owner: {{ complaint.owner }}; status: "
            "{{ complaint.status }}." + _LINK
        ),
    },
    {
        "code": "complaint-clock-second-level",
        "name": "Complaint: a breach escalated to the second level",
        "subject": "Escalated: {{ complaint.summary }} ({{ client.name }})",
        "body_text": (
            "A {{ complaint.severity|lower }} complaint from {{ client.name }} is well past its "
            "{{ complaint.clock }} target ({{ complaint.left }}). Owner: {{ complaint.owner }}; "
            "status: {{ complaint.status }}." + _LINK
        ),
    },
    {
        "code": "complaint-theme-spreading",
        "name": "Complaints: a recurring theme is spreading",
        "subject": "Recurring complaint: {{ theme.label }} ({{ theme.clients }} clients)",
        "body_text": (
            "{{ theme.clients }} clients complained about the same thing in the last "
            "{{ theme.window_days }} days: {{ theme.label }}.\n"
            "If one customer is complaining, others are thinking the same.\n\n"
            "The theme, its complaints and clients: {{ theme.url }}\n"
        ),
    },
]


def write_reference_data(apps, schema_editor):
    for model_name, rows in (("ComplaintCategory", CATEGORIES), ("RootCause", ROOT_CAUSES)):
        model = apps.get_model("complaints", model_name)
        for code, label in rows:
            model.objects.get_or_create(code=code, defaults={"label": label})
    policy_model = apps.get_model("complaints", "ServiceLevelPolicy")
    for severity, (first, resolution) in POLICIES.items():
        policy_model.objects.get_or_create(
            business_unit=None,
            severity=severity,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )
    template_model = apps.get_model("messaging", "MessageTemplate")
    for template in TEMPLATES:
        template_model.objects.get_or_create(code=template["code"], defaults=template)
    _grant(apps, HANDLERS, "complaints.handle")
    _grant(apps, MANAGERS, "complaints.manage")


def _grant(apps, codes, capability):
    role_model = apps.get_model("core", "Role")
    for role in role_model.objects.filter(code__in=codes):
        if capability not in role.capabilities:
            role.capabilities = [*role.capabilities, capability]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("core", "0002_builtin_roles"),
        ("messaging", "0003_default_templates"),
    ]
    operations = [migrations.RunPython(write_reference_data, migrations.RunPython.noop)]
