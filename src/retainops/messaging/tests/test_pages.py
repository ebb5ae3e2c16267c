"""The messaging pages: writing to a client, the outbox, and what feeds it.

Nothing is delivered here: writing only queues, and the worker is not run.
"""

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.clients.models import Client, ClientTeamMember, Contact
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.models import (
    DistributionList,
    Message,
    MessageTemplate,
    WebhookEndpoint,
)
from retainops.messaging.recipients import resolve_recipients
from retainops.messaging.services import Attachment, Outgoing, queue_message

pytestmark = pytest.mark.django_db

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User) -> Client:
    """A North client with one contact and an account manager on its team."""
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ContactFactory.create(client=client, name="Dana Reyes", email="dana@harbor.example")
    role = Role.objects.get(code="account_manager")
    ClientTeamMember.objects.create(client=client, role=role, user=account_manager)
    return client


@pytest.fixture
def cedar(south: BusinessUnit) -> Client:
    return ClientFactory.create(name="Cedar Auto", business_unit=south)


@pytest.fixture
def operations_lead(north: BusinessUnit) -> User:
    """Manages messages, but works in North only."""
    return UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])


def _as(client: HttpClient, user: User) -> HttpClient:
    client.force_login(user)
    return client


def _flashes(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _queue(client: Client | None, subject: str, to: str = "someone@example.com") -> Message:
    outgoing = Outgoing(subject=subject, body_text=f"About {subject}", to=[to])
    return queue_message(outgoing=outgoing, client=client, cause="test")


def _fail(message: Message, error: str = "SMTP 550: mailbox unavailable") -> None:
    Message.objects.filter(pk=message.pk).update(state="failed", attempts=8, last_error=error)


# Writing to a client --------------------------------------------------------------------


def test_compose_page_ticks_every_contact_of_the_client(
    client: HttpClient, account_manager: User, harbor: Client
) -> None:
    contact = Contact.objects.get(client=harbor)
    page = _as(client, account_manager).get(reverse("messaging:write", args=[harbor.pk]))

    assert page.status_code == 200
    form = page.context["form"]
    assert form["to"].initial == [f"contact:{contact.pk}"]
    assert "Dana Reyes &lt;dana@harbor.example&gt;" in page.content.decode()
    assert "role:account_manager" in page.content.decode()


def test_written_email_is_queued_to_the_chosen_recipients_and_shows_on_client_page_and_outbox(
    client: HttpClient, account_manager: User, administrator: User, harbor: Client
) -> None:
    contact = Contact.objects.get(client=harbor)
    response = _as(client, account_manager).post(
        reverse("messaging:write", args=[harbor.pk]),
        {
            "to": [f"contact:{contact.pk}", "role:account_manager"],
            "extra": "board@harbor.example, ceo@harbor.example",
            "subject": "Your March report",
            "body": "Hello Dana, the report is attached.",
        },
        follow=True,
    )

    assert response.redirect_chain == [(reverse("clients:detail", args=[harbor.pk]), 302)]
    assert "Queued: it goes out within seconds." in _flashes(response)
    message = Message.objects.get()
    assert message.state == "queued"
    assert message.client == harbor
    assert message.created_by == account_manager
    assert [r.address for r in message.recipients.all()] == [
        "dana@harbor.example",
        account_manager.email,
        "board@harbor.example",
        "ceo@harbor.example",
    ]
    assert "Your March report" in response.content.decode()
    outbox = _as(client, administrator).get(reverse("messaging:outbox")).content.decode()
    assert "Your March report" in outbox
    assert "Harbor Dental" in outbox


def test_compose_with_an_unknown_recipient_is_refused_and_queues_nothing(
    client: HttpClient, account_manager: User, harbor: Client
) -> None:
    response = _as(client, account_manager).post(
        reverse("messaging:write", args=[harbor.pk]),
        {"to": [], "extra": "not-an-address", "subject": "Hi", "body": "Hello"},
    )

    assert response.status_code == 400
    assert "not-an-address" in str(response.context["form"].errors["to"])
    assert Message.objects.count() == 0


def test_account_manager_of_another_unit_cannot_write_to_the_client(
    client: HttpClient, south_account_manager: User, harbor: Client
) -> None:
    url = reverse("messaging:write", args=[harbor.pk])
    _as(client, south_account_manager)

    assert client.get(url).status_code == 404
    post = client.post(url, {"extra": "x@example.com", "subject": "Hi", "body": "Hello"})
    assert post.status_code == 404
    assert Message.objects.count() == 0


def test_service_agent_may_read_the_client_but_not_write_to_it(
    client: HttpClient, service_agent: User, harbor: Client
) -> None:
    url = reverse("messaging:write", args=[harbor.pk])
    _as(client, service_agent)

    client_page = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    assert "Write an e-mail" not in client_page
    assert client.get(url).status_code == 403
    post = client.post(url, {"extra": "x@example.com", "subject": "Hi", "body": "Hello"})
    assert post.status_code == 403
    assert Message.objects.count() == 0


def test_client_page_lists_its_messages_with_a_link_to_write(
    client: HttpClient, account_manager: User, harbor: Client, cedar: Client
) -> None:
    _queue(harbor, "Welcome aboard")
    _queue(cedar, "Cedar only")

    page = _as(client, account_manager).get(reverse("clients:detail", args=[harbor.pk]))

    text = page.content.decode()
    assert "Welcome aboard" in text
    assert "someone@example.com" in text
    assert "Cedar only" not in text
    assert reverse("messaging:write", args=[harbor.pk]) in text


# The outbox -----------------------------------------------------------------------------


def test_account_manager_cannot_see_the_outbox_or_its_administration(
    client: HttpClient, account_manager: User, harbor: Client
) -> None:
    message = _queue(harbor, "Welcome aboard")
    _as(client, account_manager)

    assert "Outbox" not in client.get(reverse("clients:list")).content.decode()
    for name, args in [
        ("messaging:outbox", []),
        ("messaging:detail", [message.pk]),
        ("messaging:templates", []),
        ("messaging:template_create", []),
        ("messaging:lists", []),
        ("messaging:webhooks", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.post(reverse("messaging:retry", args=[message.pk])).status_code == 403


def test_outbox_filters_by_state_channel_and_client_and_pages(
    client: HttpClient, administrator: User, harbor: Client, cedar: Client, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    _fail(_queue(harbor, "Bounced report"), "SMTP 550: no such user")
    _queue(harbor, "Harbor welcome")
    _queue(cedar, "Cedar welcome")
    webhook = WebhookEndpoint.objects.create(
        code="ops", name="Ops chat", url="https://chat.example/hook", secret=SECRET
    )
    queue_message(
        outgoing=Outgoing(subject="", body_text="Chat ping", channel="chat", webhook=webhook),
        client=None,
        cause="test",
    )
    url = reverse("messaging:outbox")
    _as(client, administrator)

    failed = client.get(url, {"state": "failed"}).content.decode()
    assert "Bounced report" in failed and "SMTP 550: no such user" in failed
    assert "Harbor welcome" not in failed
    by_client = client.get(url, {"client": "harbor"}).content.decode()
    assert "Harbor welcome" in by_client and "Cedar welcome" not in by_client
    chat = client.get(url, {"channel": "chat"}).content.decode()
    assert "Ops chat" in chat and "Harbor welcome" not in chat
    first = client.get(url).content.decode()
    assert "Page 1 of 2 (4 messages)" in first
    assert "Bounced report" in client.get(url, {"page": 2}).content.decode()


def test_outbox_says_when_it_is_empty_and_when_nothing_matches(
    client: HttpClient, administrator: User, harbor: Client
) -> None:
    url = reverse("messaging:outbox")
    _as(client, administrator)

    assert "The outbox is empty" in client.get(url).content.decode()
    _queue(harbor, "Welcome aboard")
    assert "No messages match" in client.get(url, {"state": "failed"}).content.decode()


def test_operations_lead_sees_only_messages_of_their_units(
    client: HttpClient, operations_lead: User, harbor: Client, cedar: Client
) -> None:
    _queue(harbor, "Harbor welcome")
    _queue(None, "Agency notice")
    elsewhere = _queue(cedar, "Cedar welcome")
    _as(client, operations_lead)

    outbox = client.get(reverse("messaging:outbox")).content.decode()
    assert "Harbor welcome" in outbox and "Agency notice" in outbox
    assert "Cedar welcome" not in outbox
    assert client.get(reverse("messaging:detail", args=[elsewhere.pk])).status_code == 404


def test_message_page_shows_body_and_attachments_and_retry_requeues_a_failed_message(
    client: HttpClient, administrator: User, harbor: Client
) -> None:
    outgoing = Outgoing(
        subject="Kick-off",
        body_text="See you on Monday.",
        to=["dana@harbor.example"],
        attachments=[Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR")],
    )
    message = queue_message(outgoing=outgoing, client=harbor, cause="meeting")
    _fail(message)
    url = reverse("messaging:detail", args=[message.pk])
    _as(client, administrator)

    page = client.get(url).content.decode()
    assert "See you on Monday." in page and "invite.ics" in page
    assert "SMTP 550: mailbox unavailable" in page
    assert "Retry" in page
    response = client.post(reverse("messaging:retry", args=[message.pk]), follow=True)

    assert response.redirect_chain == [(url, 302)]
    message.refresh_from_db()
    assert message.state == "queued"
    assert message.attempts == 0
    assert response.context["can_retry"] is False


def test_retrying_a_message_that_has_not_failed_is_refused(
    client: HttpClient, administrator: User, harbor: Client
) -> None:
    message = _queue(harbor, "Welcome aboard")
    Message.objects.filter(pk=message.pk).update(state="sent")

    response = _as(client, administrator).post(
        reverse("messaging:retry", args=[message.pk]), follow=True
    )

    assert "Only a failed message can be retried." in _flashes(response)
    message.refresh_from_db()
    assert message.state == "sent"


# Templates ------------------------------------------------------------------------------


def _template_data(**changes: str) -> dict[str, str]:
    data = {
        "code": "renewal-reminder",
        "name": "Renewal reminder",
        "channel": "email",
        "subject": "{{ client.name }}: your renewal",
        "body_text": "Dear {{ client.primary_contact.first_name }}, it is time to renew.",
        "body_html": "",
    }
    return {**data, **changes}


def test_template_using_an_unknown_variable_is_refused_naming_it(
    client: HttpClient, administrator: User
) -> None:
    response = _as(client, administrator).post(
        reverse("messaging:template_create"),
        _template_data(body_text="Hello {{ client.nmae }}"),
    )

    assert response.status_code == 400
    assert "client.nmae" in " ".join(response.context["form"].errors["body_text"])
    assert not MessageTemplate.objects.filter(code="renewal-reminder").exists()


def test_administrator_creates_and_edits_a_template(
    client: HttpClient, administrator: User
) -> None:
    _as(client, administrator)
    created = client.post(reverse("messaging:template_create"), _template_data(), follow=True)
    assert created.redirect_chain == [(reverse("messaging:templates"), 302)]
    template = MessageTemplate.objects.get(code="renewal-reminder")
    assert "Renewal reminder" in created.content.decode()

    edit_url = reverse("messaging:template_edit", args=[template.pk])
    assert "your renewal" in client.get(edit_url).content.decode()
    client.post(edit_url, _template_data(subject="Renewal time"))

    template.refresh_from_db()
    assert template.subject == "Renewal time"


def test_preview_renders_what_was_typed_with_a_real_client_and_saves_nothing(
    client: HttpClient, administrator: User, harbor: Client
) -> None:
    response = _as(client, administrator).post(
        reverse("messaging:template_create"),
        _template_data(preview_client=str(harbor.pk), action="preview"),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Harbor Dental: your renewal" in page
    assert "Dear Dana, it is time to renew." in page
    assert not MessageTemplate.objects.filter(code="renewal-reminder").exists()


def test_preview_with_an_unknown_variable_names_it(
    client: HttpClient, administrator: User, harbor: Client
) -> None:
    response = _as(client, administrator).post(
        reverse("messaging:template_create"),
        _template_data(
            subject="{{ client.nmae }}", preview_client=str(harbor.pk), action="preview"
        ),
    )

    assert response.status_code == 400
    assert "client.nmae" in " ".join(response.context["form"].errors["subject"])


# Distribution lists ---------------------------------------------------------------------


def test_distribution_list_takes_members_of_every_kind_and_loses_them_again(
    client: HttpClient, administrator: User, account_manager: User, harbor: Client
) -> None:
    _as(client, administrator)
    created = client.post(
        reverse("messaging:list_create"),
        {"code": "renewals", "name": "Renewals", "description": "Who hears of renewals"},
    )
    distribution_list = DistributionList.objects.get(code="renewals")
    detail_url = reverse("messaging:list_detail", args=[distribution_list.pk])
    assert created["Location"] == detail_url
    add_url = reverse("messaging:member_add", args=[distribution_list.pk])
    contact = Contact.objects.get(client=harbor)
    for kind, value in [
        ("user", str(account_manager.pk)),
        ("contact", str(contact.pk)),
        ("role", str(Role.objects.get(code="account_manager").pk)),
        ("address", "finance@agency.example"),
    ]:
        response = client.post(add_url, {"kind": kind, kind: value})
        assert response.status_code == 302, (kind, response.content.decode())

    kinds = sorted(distribution_list.members.values_list("kind", flat=True))
    assert kinds == ["address", "contact", "role", "user"]
    page = client.get(detail_url).content.decode()
    assert "finance@agency.example" in page and "Dana Reyes" in page
    addresses = {r.address for r in resolve_recipients(["list:renewals"], harbor)}
    assert addresses == {account_manager.email, "dana@harbor.example", "finance@agency.example"}

    member = distribution_list.members.get(kind="address")
    client.post(reverse("messaging:member_remove", args=[member.pk]))
    assert not distribution_list.members.filter(kind="address").exists()


def test_member_without_its_target_is_refused(client: HttpClient, administrator: User) -> None:
    distribution_list = DistributionList.objects.create(code="ops", name="Ops")

    response = _as(client, administrator).post(
        reverse("messaging:member_add", args=[distribution_list.pk]),
        {"kind": "address", "address": ""},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["address"]
    assert not distribution_list.members.exists()


# Chat webhooks --------------------------------------------------------------------------


def test_webhook_secret_is_never_shown_back_and_a_blank_one_keeps_it(
    client: HttpClient, administrator: User
) -> None:
    _as(client, administrator)
    data = {"code": "ops", "name": "Ops chat", "url": "https://chat.example/hook"}
    created = client.post(
        reverse("messaging:webhook_create"), {**data, "secret": SECRET, "is_active": "on"}
    )
    assert created.status_code == 302
    webhook = WebhookEndpoint.objects.get(code="ops")
    assert webhook.secret == SECRET

    listing = client.get(reverse("messaging:webhooks")).content.decode()
    assert "Ops chat" in listing and ">set<" in listing and SECRET not in listing
    edit_url = reverse("messaging:webhook_edit", args=[webhook.pk])
    assert SECRET not in client.get(edit_url).content.decode()
    client.post(edit_url, {**data, "name": "Ops channel", "secret": "", "is_active": "on"})

    webhook.refresh_from_db()
    assert webhook.name == "Ops channel"
    assert webhook.secret == SECRET


def test_webhook_with_a_secret_of_the_wrong_form_is_refused(
    client: HttpClient, administrator: User
) -> None:
    response = _as(client, administrator).post(
        reverse("messaging:webhook_create"),
        {"code": "ops", "name": "Ops", "url": "https://chat.example/hook", "secret": "hunter2"},
    )

    assert response.status_code == 400
    assert "whsec_" in " ".join(response.context["form"].errors["secret"])
    assert "hunter2" not in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
