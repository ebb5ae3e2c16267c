"""The messaging API: who may read and write what, validation, and the admin resources.

Nothing is delivered here: writing only queues, and the worker is not run.
"""

import pytest

from retainops.clients.models import Client, ClientTeamMember, Contact
from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import ApiCaller, UserFactory
from retainops.messaging.models import DistributionList, Message, MessageTemplate
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


def _queue(client: Client | None, subject: str, **extra: object) -> Message:
    outgoing = Outgoing(subject=subject, body_text=f"About {subject}", to=["x@example.com"])
    for name, value in extra.items():
        setattr(outgoing, name, value)
    return queue_message(outgoing=outgoing, client=client, cause="test")


def _write(harbor: Client, to: list[str]) -> dict[str, object]:
    return {"client": harbor.pk, "to": to, "subject": "Your report", "body": "Attached."}


# The outbox -----------------------------------------------------------------------------


def test_account_manager_cannot_read_the_outbox(account_manager: User, harbor: Client) -> None:
    message = _queue(harbor, "Welcome")
    caller = ApiCaller(account_manager)

    assert caller.get("/messages").status_code == 403
    assert caller.get(f"/messages/{message.pk}").status_code == 403
    assert caller.post(f"/messages/{message.pk}/retry", {}).status_code == 403


def test_outbox_lists_messages_filtered_by_state_client_and_channel(
    administrator: User, harbor: Client, cedar: Client
) -> None:
    failed = _queue(harbor, "Bounced")
    Message.objects.filter(pk=failed.pk).update(state="failed")
    _queue(harbor, "Harbor welcome")
    _queue(cedar, "Cedar welcome")
    caller = ApiCaller(administrator)

    everything = caller.get("/messages").json()
    assert everything["count"] == 3
    assert [m["subject"] for m in caller.get("/messages", state="failed").json()["items"]] == [
        "Bounced"
    ]
    harbor_only = caller.get("/messages", client=harbor.pk).json()["items"]
    assert {m["subject"] for m in harbor_only} == {"Bounced", "Harbor welcome"}
    assert caller.get("/messages", channel="chat").json()["count"] == 0
    assert caller.get("/messages", state="lost").status_code == 422


def test_operations_lead_reads_only_messages_of_their_units(
    operations_lead: User, harbor: Client, cedar: Client
) -> None:
    _queue(harbor, "Harbor welcome")
    elsewhere = _queue(cedar, "Cedar welcome")
    caller = ApiCaller(operations_lead)

    assert [m["subject"] for m in caller.get("/messages").json()["items"]] == ["Harbor welcome"]
    assert caller.get(f"/messages/{elsewhere.pk}").status_code == 404


def test_message_detail_has_body_recipients_and_attachments(
    administrator: User, harbor: Client
) -> None:
    invite = Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR")
    message = _queue(harbor, "Kick-off", attachments=[invite])

    body = ApiCaller(administrator).get(f"/messages/{message.pk}").json()

    assert body["uid"] == str(message.uid)
    assert body["body_text"] == "About Kick-off"
    assert body["recipients"] == [{"address": "x@example.com", "name": "", "source": "address"}]
    assert body["attachments"] == [
        {"filename": "invite.ics", "content_type": "text/calendar", "size": 15}
    ]
    assert body["state"] == {"value": "queued", "label": "Queued", "colour": "blue"}


def test_retry_puts_a_failed_message_back_in_the_queue(administrator: User, harbor: Client) -> None:
    message = _queue(harbor, "Bounced")
    Message.objects.filter(pk=message.pk).update(state="failed", attempts=8, last_error="550")

    response = ApiCaller(administrator).post(f"/messages/{message.pk}/retry", {})

    assert response.status_code == 200
    assert response.json()["state"]["value"] == "queued"
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("queued", 0)


def test_retry_of_a_message_that_has_not_failed_is_refused(
    administrator: User, harbor: Client
) -> None:
    message = _queue(harbor, "Welcome")

    response = ApiCaller(administrator).post(f"/messages/{message.pk}/retry", {})

    assert response.status_code == 422
    assert "state" in response.json()["errors"]


# Writing to a client --------------------------------------------------------------------


def test_account_manager_writes_to_a_client_and_gets_the_queued_message(
    account_manager: User, harbor: Client
) -> None:
    contact = Contact.objects.get(client=harbor)
    to = [f"contact:{contact.pk}", "role:account_manager", "ops@agency.example"]

    response = ApiCaller(account_manager).post("/messages", _write(harbor, to))

    assert response.status_code == 201
    body = response.json()
    message = Message.objects.get(pk=body["id"])
    assert body["uid"] == str(message.uid)
    assert body["state"]["value"] == "queued"
    assert body["client"] == harbor.pk
    assert body["created_by"] == "amy_am"
    assert [r["address"] for r in body["recipients"]] == [
        "dana@harbor.example",
        account_manager.email,
        "ops@agency.example",
    ]


def test_bad_recipients_are_refused_naming_to_and_nothing_is_written(
    account_manager: User, harbor: Client
) -> None:
    before = Message.objects.count()

    response = ApiCaller(account_manager).post(
        "/messages", _write(harbor, ["dana@harbor.example", "not-an-address", "contact:99999"])
    )

    assert response.status_code == 422
    problems = " ".join(response.json()["errors"]["to"])
    assert "not-an-address" in problems and "contact:99999" in problems
    assert Message.objects.count() == before


def test_writing_to_another_units_or_an_unknown_client_is_not_found(
    south_account_manager: User, harbor: Client
) -> None:
    caller = ApiCaller(south_account_manager)

    assert caller.post("/messages", _write(harbor, ["x@example.com"])).status_code == 404
    unknown = {**_write(harbor, ["x@example.com"]), "client": 999999}
    assert caller.post("/messages", unknown).status_code == 404
    assert Message.objects.count() == 0


def test_service_agent_cannot_write_to_a_client(service_agent: User, harbor: Client) -> None:
    response = ApiCaller(service_agent).post("/messages", _write(harbor, ["x@example.com"]))

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_anyone_who_sees_a_client_reads_its_messages(
    service_agent: User, south_account_manager: User, harbor: Client, cedar: Client
) -> None:
    _queue(harbor, "Harbor welcome")
    _queue(cedar, "Cedar welcome")

    body = ApiCaller(service_agent).get(f"/clients/{harbor.pk}/messages").json()

    assert [m["subject"] for m in body["items"]] == ["Harbor welcome"]
    assert ApiCaller(south_account_manager).get(f"/clients/{harbor.pk}/messages").status_code == 404


# Templates ------------------------------------------------------------------------------


def _template(**changes: str) -> dict[str, str]:
    data = {
        "code": "renewal-reminder",
        "name": "Renewal reminder",
        "subject": "{{ client.name }}: your renewal",
        "body_text": "Dear {{ client.primary_contact.first_name }}, it is time to renew.",
    }
    return {**data, **changes}


def test_template_with_an_unknown_variable_is_refused_naming_it(administrator: User) -> None:
    caller = ApiCaller(administrator)

    response = caller.post("/message-templates", _template(body_text="Hi {{ client.nmae }}"))

    assert response.status_code == 422
    assert "client.nmae" in " ".join(response.json()["errors"]["body_text"])
    assert not MessageTemplate.objects.filter(code="renewal-reminder").exists()


def test_template_is_created_read_and_changed(administrator: User) -> None:
    caller = ApiCaller(administrator)

    created = caller.post("/message-templates", _template())
    assert created.status_code == 201
    template_id = created.json()["id"]
    assert "renewal-reminder" in [t["code"] for t in caller.get("/message-templates").json()]
    changed = caller.patch(f"/message-templates/{template_id}", {"subject": "Renewal time"})
    assert changed.json()["subject"] == "Renewal time"
    refused = caller.patch(f"/message-templates/{template_id}", {"subject": "{{ client.nmae }}"})
    assert refused.status_code == 422
    assert caller.get(f"/message-templates/{template_id}").json()["subject"] == "Renewal time"


def test_preview_fills_the_template_with_a_real_client(
    operations_lead: User, harbor: Client, cedar: Client
) -> None:
    template = MessageTemplate.objects.create(
        code="hello",
        name="Hello",
        subject="Hello {{ client.name }}",
        body_text="For {{ client.name }}",
    )
    caller = ApiCaller(operations_lead)

    preview = caller.post(f"/message-templates/{template.pk}/preview", {"client": harbor.pk})

    assert preview.json()["subject"] == "Hello Harbor Dental"
    assert preview.json()["body_text"] == "For Harbor Dental"
    other_unit = caller.post(f"/message-templates/{template.pk}/preview", {"client": cedar.pk})
    assert other_unit.status_code == 404


def test_account_manager_cannot_read_or_write_templates(account_manager: User) -> None:
    caller = ApiCaller(account_manager)

    assert caller.get("/message-templates").status_code == 403
    assert caller.post("/message-templates", _template()).status_code == 403


# Distribution lists ---------------------------------------------------------------------


def test_distribution_list_members_of_every_kind(
    administrator: User, account_manager: User, harbor: Client
) -> None:
    caller = ApiCaller(administrator)
    created = caller.post("/distribution-lists", {"code": "renewals", "name": "Renewals"})
    assert created.status_code == 201
    list_id = created.json()["id"]
    contact = Contact.objects.get(client=harbor)
    members = [
        ("user", "amy_am"),
        ("contact", str(contact.pk)),
        ("role", "account_manager"),
        ("address", "finance@agency.example"),
    ]
    for kind, value in members:
        added = caller.post(
            f"/distribution-lists/{list_id}/members", {"kind": kind, "value": value}
        )
        assert added.status_code == 201, added.json()

    detail = caller.get(f"/distribution-lists/{list_id}").json()
    assert [(m["kind"], m["value"]) for m in detail["members"]] == sorted(members)
    address = next(m for m in detail["members"] if m["kind"] == "address")
    assert (
        caller.delete(f"/distribution-lists/{list_id}/members/{address['id']}").status_code == 204
    )
    assert not DistributionList.objects.get(pk=list_id).members.filter(kind="address").exists()


def test_member_naming_nothing_known_is_refused_naming_value(
    administrator: User, cedar: Client
) -> None:
    caller = ApiCaller(administrator)
    list_id = caller.post("/distribution-lists", {"code": "ops", "name": "Ops"}).json()["id"]
    url = f"/distribution-lists/{list_id}/members"

    for kind, value in [("user", "nobody"), ("role", "wizard"), ("address", "not-an-address")]:
        response = caller.post(url, {"kind": kind, "value": value})
        assert response.status_code == 422
        assert "value" in response.json()["errors"]
    assert caller.post(url, {"kind": "robot", "value": "x"}).status_code == 422
    assert not DistributionList.objects.get(pk=list_id).members.exists()


def test_contact_of_a_client_in_another_unit_cannot_join_a_list(
    operations_lead: User, cedar: Client
) -> None:
    contact = ContactFactory.create(client=cedar)
    caller = ApiCaller(operations_lead)
    list_id = caller.post("/distribution-lists", {"code": "ops", "name": "Ops"}).json()["id"]

    response = caller.post(
        f"/distribution-lists/{list_id}/members", {"kind": "contact", "value": str(contact.pk)}
    )

    assert response.status_code == 422


# Chat webhooks --------------------------------------------------------------------------


def test_webhook_secret_is_never_returned(administrator: User) -> None:
    caller = ApiCaller(administrator)
    data = {"code": "ops", "name": "Ops chat", "url": "https://chat.example/hook"}

    created = caller.post("/chat-webhooks", {**data, "secret": SECRET})

    assert created.status_code == 201
    assert created.json()["secret_set"] is True
    listing = caller.get("/chat-webhooks")
    assert SECRET not in created.content.decode() + listing.content.decode()
    assert [w["code"] for w in listing.json()] == ["ops"]
    assert "secret" not in listing.json()[0]
    refused = caller.post("/chat-webhooks", {**data, "code": "bad", "secret": "hunter2"})
    assert refused.status_code == 422 and "secret" in refused.json()["errors"]


def test_account_manager_cannot_see_webhooks_or_lists(account_manager: User) -> None:
    caller = ApiCaller(account_manager)

    assert caller.get("/chat-webhooks").status_code == 403
    assert caller.get("/distribution-lists").status_code == 403
    assert caller.post("/distribution-lists", {"code": "x", "name": "X"}).status_code == 403
