"""Message templates are checked against the variable schema when saved."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.messaging.delivery import process_due
from retainops.messaging.models import MessageTemplate
from retainops.messaging.services import queue_from_template, save_template
from retainops.messaging.testing import SmtpPeer

CODE = "quarterly-check-in"


def _data(body_text: str, **more: str) -> dict[str, str]:
    return {
        "code": CODE,
        "name": "Quarterly check-in",
        "channel": "email",
        "subject": "Checking in, {{ client.name }}",
        "body_text": body_text,
        **more,
    }


@pytest.mark.parametrize(
    ("body_text", "unknown"),
    [
        ("Dear {{ client.nmae }},", "client.nmae"),
        ("{% if client.stauts == 'Active' %}Thanks!{% endif %}", "client.stauts"),
        ("{% if client.name %}{% else %}{{ cliant.name }}{% endif %}", "cliant.name"),
        (
            "{% for contact in client.contacts %}{{ contact.phone }}{% endfor %}",
            "contact.phone",
        ),
        # The loop variable of an unknown sequence has no fields either.
        ("{% for c in client.contactz %}{{ c.name }}{% endfor %}", "client.contactz, c.name"),
        ("{{ client.name|default:client.nickname }}", "client.nickname"),
    ],
)
def test_a_template_using_an_unknown_variable_is_refused_naming_it(
    administrator: User, body_text: str, unknown: str
):
    with pytest.raises(ValidationError) as refused:
        save_template(by=administrator, template=None, data=_data(body_text))

    plural = "s" if "," in unknown else ""
    assert refused.value.message_dict == {"body_text": [f"Unknown variable{plural}: {unknown}"]}
    assert not MessageTemplate.objects.filter(code=CODE).exists()


def test_every_unknown_variable_is_named_per_field(administrator: User):
    data = _data("{{ sender.nmae }} {{ agency.adress }}", subject="{{ client.nmae }}")

    with pytest.raises(ValidationError) as refused:
        save_template(by=administrator, template=None, data=data)

    assert refused.value.message_dict == {
        "subject": ["Unknown variable: client.nmae"],
        "body_text": ["Unknown variables: sender.nmae, agency.adress"],
    }


def test_a_template_that_does_not_parse_is_refused(administrator: User):
    with pytest.raises(ValidationError, match="does not parse"):
        save_template(by=administrator, template=None, data=_data("{% if client.name %}open"))


def test_a_loop_over_contacts_using_their_fields_is_accepted(administrator: User):
    body = "{% for contact in client.contacts %}{{ contact.name }} {% endfor %}"

    saved = save_template(by=administrator, template=None, data=_data(body))

    assert MessageTemplate.objects.get(code=CODE).body_text == body == saved.body_text


def test_a_template_rendered_for_a_real_client_names_its_account_manager(
    administrator: User, harbor: Client, account_manager: User, smtp: SmtpPeer
):
    body = (
        "Hello {{ client.primary_contact.first_name }},\n"
        "{{ client.account_manager.name }} ({{ client.account_manager.email }}) "
        "looks after {{ client.name }}.\n"
        "{% for contact in client.contacts %}- {{ contact.name }}\n{% endfor %}"
    )
    save_template(by=administrator, template=None, data=_data(body))

    message = queue_from_template(
        template_code=CODE, to=["contacts"], client=harbor, cause="check-in", by=None
    )
    process_due(now=timezone.now(), worker="w")

    expected = (
        "Hello Dana,\n"
        "Amy Archer (amy_am@agency.example) looks after Harbor Dental.\n"
        "- Dana Diaz\n- Doe, Jane\n"
    )
    assert message.subject == "Checking in, Harbor Dental"
    assert message.body_text == expected
    [mail] = smtp.received
    assert mail.part("text/plain") == expected
