"""Schemas of the messaging API: what callers send and read about the outbox, templates,
distribution lists, chat webhooks and meetings.

An answer's fields that need more than an attribute (a username, a count, the members
of a list) are resolved here, from the row the endpoint returns.
"""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from retainops.core.schemas import Id
from retainops.messaging.choices import Channel, MemberKind, MessageState
from retainops.messaging.models import (
    DistributionList,
    DistributionListMember,
    Meeting,
    Message,
    WebhookEndpoint,
)

# Messages -------------------------------------------------------------------------------


class Badge(Schema):
    value: str
    label: str
    colour: str


class RecipientOut(Schema):
    address: str
    name: str
    source: str


class MessageAttachmentOut(Schema):
    filename: str
    content_type: str
    size: int

    @staticmethod
    def resolve_size(obj: Any) -> int:
        return len(bytes(obj.content))


class MessageOut(Schema):
    id: int
    uid: str
    channel: str
    state: Badge = Field(alias="state_badge")
    client: int | None = Field(alias="client_id")
    cause: str
    created_by: str | None
    created_at: datetime
    subject: str
    recipients: list[RecipientOut]
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str

    @staticmethod
    def resolve_uid(obj: Message) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_created_by(obj: Message) -> str | None:
        return obj.created_by.username if obj.created_by else None

    @staticmethod
    def resolve_recipients(obj: Message) -> list[Any]:
        return list(obj.recipients.all())


class MessageDetailOut(MessageOut):
    body_text: str
    body_html: str
    webhook: str | None
    attachments: list[MessageAttachmentOut]

    @staticmethod
    def resolve_webhook(obj: Message) -> str | None:
        return obj.webhook.code if obj.webhook else None

    @staticmethod
    def resolve_attachments(obj: Message) -> list[Any]:
        return list(obj.attachments.all())


class MessageQuery(Schema):
    state: MessageState | None = None
    channel: Channel | None = None
    client: Id | None = Field(None, description="Id of the client the messages concern")


class WriteIn(Schema):
    client: Id
    to: list[str] = Field(
        description="E-mail addresses or recipient specs: contact:<id>, contacts, "
        "role:<code>, list:<code>, user:<username>"
    )
    subject: str
    body: str


# Templates ------------------------------------------------------------------------------


class TemplateOut(Schema):
    id: int
    code: str
    name: str
    channel: str
    subject: str
    body_text: str
    body_html: str


class TemplateIn(Schema):
    code: str
    name: str
    channel: Channel = Channel.EMAIL
    subject: str = ""
    body_text: str
    body_html: str = ""


class TemplatePatch(Schema):
    code: str | None = None
    name: str | None = None
    channel: Channel | None = None
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None


class PreviewIn(Schema):
    client: Id | None = Field(None, description="Id of the client whose data fills the template")


class PreviewOut(Schema):
    subject: str
    body_text: str
    body_html: str


# Distribution lists ---------------------------------------------------------------------


class ListIn(Schema):
    code: str
    name: str
    description: str = ""


class ListPatch(Schema):
    code: str | None = None
    name: str | None = None
    description: str | None = None


class MemberOut(Schema):
    id: int
    kind: str
    value: str
    label: str

    @staticmethod
    def resolve_value(obj: DistributionListMember) -> str:
        if obj.user:
            return obj.user.username
        if obj.contact_id:
            return str(obj.contact_id)
        if obj.role:
            return obj.role.code
        return obj.address

    @staticmethod
    def resolve_label(obj: DistributionListMember) -> str:
        return str(obj)


class MemberIn(Schema):
    kind: MemberKind
    value: str = Field(description="Username, contact id, role code or e-mail address")


class ListOut(Schema):
    id: int
    code: str
    name: str
    description: str


class ListDetailOut(ListOut):
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj: DistributionList) -> list[Any]:
        return list(obj.members.select_related("user", "contact", "role"))


# Chat webhooks --------------------------------------------------------------------------


class WebhookOut(Schema):
    """A chat webhook; its secret is never returned, only whether one is set."""

    id: int
    code: str
    name: str
    url: str
    is_active: bool
    secret_set: bool

    @staticmethod
    def resolve_secret_set(obj: WebhookEndpoint) -> bool:
        return bool(obj.secret)


class WebhookIn(Schema):
    code: str
    name: str
    url: str
    secret: str
    is_active: bool = True


class WebhookPatch(Schema):
    code: str | None = None
    name: str | None = None
    url: str | None = None
    secret: str | None = None
    is_active: bool | None = None


# Meetings -------------------------------------------------------------------------------


class MeetingIn(Schema):
    client: Id | None = None
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime
    attendees: list[str] = Field(min_length=1, description="Recipient specs, as for messages")
    location: str = ""
    description: str = ""


class MeetingMoveIn(Schema):
    starts_at: datetime
    ends_at: datetime


class MeetingOut(Schema):
    id: int
    uid: str
    client: int | None = Field(None, alias="client_id")
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    attendees: list[str]
    sequence: int
    state: str

    @staticmethod
    def resolve_uid(obj: Meeting) -> str:
        return str(obj.uid)
