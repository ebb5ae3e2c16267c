"""Starting purchase-order requirements per service, and the onboarding message templates."""

from django.db import migrations

# (service code or None for every program, key, label, kind, help text)
REQUIREMENTS = [
    (None, "billing_contact", "Billing contact e-mail", "email", "Who receives the invoices."),
    (None, "landing_page", "Landing page", "url", "Where the campaign sends people."),
    (None, "tracking_access", "Tracking access", "text", "Analytics or tag manager access granted to us."),
    ("targeted-display", "display_targeting", "Audience targeting", "long_text", "Who should see the ads."),
    ("targeted-display", "display_geography", "Geography", "text", "Cities, ZIP codes or a radius."),
    ("targeted-display", "display_creative", "Creative specifications", "long_text", "Sizes, brand assets, messages."),
    ("sem", "sem_keywords", "Keywords", "long_text", "Keywords to bid on, and negative keywords."),
    ("sem", "sem_geography", "Search geography", "text", "Where the ads may show."),
    ("seo", "seo_site_access", "Website admin access", "text", "How we reach the site's admin."),
    ("seo", "seo_competitors", "Main competitors", "long_text", "Sites you compete with."),
    ("ott", "ott_video", "Video file", "url", "Link to the finished video."),
    ("ott", "ott_geography", "Streaming geography", "text", "Where the video may play."),
    ("event-targeting", "event_names", "Events to target", "long_text", "Names and places."),
    ("event-targeting", "event_dates", "Event dates", "text", "When they take place."),
    ("website", "website_domain", "Domain", "url", "The site's address."),
    ("website", "website_pages", "Pages wanted", "long_text", "The pages and what each says."),
    ("social", "social_page_access", "Social page access", "text", "Pages we may advertise from."),
    ("social", "social_audience", "Social audience", "long_text", "Who the ads are for."),
    ("email", "email_sender_name", "Sender name", "text", "Who the e-mails come from."),
    ("email", "email_list_size", "List size", "number", "How many addresses the list holds."),
]

TEMPLATES = [
    {
        "code": "onboarding-introduction",
        "name": "Onboarding: introduction to the client",
        "subject": "Welcome to {{ agency.name }}: {{ program.name }}",
        "body_text": (
            "Hello {% if client.primary_contact %}{{ client.primary_contact.first_name }}"
            "{% else %}there{% endif %},\n\n"
            "Thank you for choosing {{ agency.name }}. I am {{ client.client_success_manager.name }}, "
            "your client success manager, and {{ client.account_manager.name }} is your account "
            "manager: they will run {{ program.name }} ({{ program.services }}) with you day to day.\n\n"
            "{% if program.missing %}To start, we still need:\n"
            "{% for item in program.missing %}- {{ item.label }} ({{ item.service }})\n{% endfor %}\n"
            "You can send them on your program page: {{ program.portal_link }}\n\n"
            "{% else %}We have everything we need to start.\n\n{% endif %}"
            "What happens next: a design meeting with our creative director, then the creative and "
            "targeting for you to approve on the same page, then go-live"
            "{% if program.go_live %}, planned for {{ program.go_live }}{% endif %}. A week after "
            "go-live we meet to review the first reporting, and every month after that to look at "
            "results.\n\n"
            "Best regards,\n{{ client.client_success_manager.name }}\n{{ agency.name }}\n"
        ),
    },
    {
        "code": "onboarding-launch",
        "name": "Onboarding: launch confirmation",
        "subject": "{{ program.name }} is live",
        "body_text": (
            "Hello,\n\n{{ program.name }} for {{ client.name }} is live and tracking properly: "
            "our quality check is done.\n\n"
            "We will meet in a week to review the first reporting and pacing.\n\n"
            "{{ client.account_manager.name }}\n{{ agency.name }}\n"
        ),
    },
    {
        "code": "onboarding-portal-link",
        "name": "Onboarding: the client's program page",
        "subject": "Your program page: {{ program.name }}",
        "body_text": (
            "Hello,\n\nYour program page shows where {{ program.name }} stands and what comes "
            "next{% if program.missing_count %}, and asks for the {{ program.missing_count }} "
            "details we still need{% endif %}:\n\n{{ program.portal_link }}\n\n"
            "The link is yours; please do not forward it.\n\n{{ agency.name }}\n"
        ),
    },
]


def write_requirements(apps, schema_editor):
    requirement_model = apps.get_model("onboarding", "DetailRequirement")
    service_model = apps.get_model("clients", "ServiceLine")
    for position, (code, key, label, kind, help_text) in enumerate(REQUIREMENTS):
        service = service_model.objects.filter(code=code).first() if code else None
        if code and service is None:
            continue
        requirement_model.objects.get_or_create(
            key=key,
            defaults={
                "service": service,
                "label": label,
                "kind": kind,
                "help_text": help_text,
                "position": position,
            },
        )


def write_templates(apps, schema_editor):
    template_model = apps.get_model("messaging", "MessageTemplate")
    for template in TEMPLATES:
        template_model.objects.get_or_create(
            code=template["code"], defaults={**template, "channel": "email"}
        )


def write_reference_data(apps, schema_editor):
    write_requirements(apps, schema_editor)
    write_templates(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0001_initial"),
        ("clients", "0003_default_catalogue"),
        ("messaging", "0003_default_templates"),
    ]
    operations = [migrations.RunPython(write_reference_data, migrations.RunPython.noop)]
