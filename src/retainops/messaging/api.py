"""API for the outbox and what feeds it: messages, templates, lists, chat webhooks.

Thin, like the pages: each endpoint resolves what it names (scoped to the
caller: another unit's client is "not found"), then calls the same service.
Reading the outbox and its administration needs messages.manage; writing to a
client needs what editing the client needs; a client's own messages are for
anyone who sees the client.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from retainops.clients.models import Client, Contact
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.models import Role, User
from retainops.messaging import queries, services
from retainops.messaging.choices import Channel, MemberKind, MessageState
from retainops.messaging.models import (
    DistributionList,
    DistributionListMember,
    Meeting,
    Message,
    MessageTemplate,
    WebhookEndpoint,
)

router = Router(tags=["messages"])


# Schemas --------------------------------------------------------------------------------


class Badge(Schema):
    value: str
    label: str
    colour: str


class RecipientOut(Schema):
    address: str
    name: str
    source: str


class AttachmentOut(Schema):
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
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_webhook(obj: Message) -> str | None:
        return obj.webhook.code if obj.webhook else None

    @staticmethod
    def resolve_attachments(obj: Message) -> list[Any]:
        return list(obj.attachments.all())


class MessageQuery(Schema):
    state: MessageState | None = None
    channel: Channel | None = None
    client: int | None = Field(None, description="Id of the client the messages concern")


class WriteIn(Schema):
    client: int
    to: list[str] = Field(
        description="E-mail addresses or recipient specs: contact:<id>, contacts, "
        "role:<code>, list:<code>, user:<username>"
    )
    subject: str
    body: str


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
    client: int | None = Field(None, description="Id of the client whose data fills the template")


class PreviewOut(Schema):
    subject: str
    body_text: str
    body_html: str


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


# Lookups --------------------------------------------------------------------------------


def _manager(request: HttpRequest) -> Any:
    """The caller, refused (403) unless they manage messages."""
    require_capability(request.user, Capability.MANAGE_MESSAGES)
    return request.user


def _message(request: HttpRequest, message_id: int) -> Message:
    messages = queries.visible_messages(_manager(request)).prefetch_related("attachments")
    return get_object_or_404(messages, pk=message_id)


def _client(request: HttpRequest, client_id: int | None) -> Client | None:
    if client_id is None:
        return None
    return get_object_or_404(visible_clients(request.user), pk=client_id)


def _is_address(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _member_target(request: HttpRequest, kind: str, value: str) -> Any:
    """The user, contact, role or address a member names; 422 naming `value` if none."""
    value = value.strip()
    found: Any
    if kind == MemberKind.USER:
        found = User.objects.filter(username=value, is_active=True).first()
    elif kind == MemberKind.CONTACT:
        contacts = Contact.objects.filter(client__in=visible_clients(request.user))
        found = contacts.filter(pk=int(value)).first() if value.isdigit() else None
    elif kind == MemberKind.ROLE:
        found = Role.objects.filter(code=value).first()
    else:
        found = value if _is_address(value) else None
    if found is None:
        raise invalid("value", f"No {MemberKind(kind).label.lower()} matches {value!r}.")
    return found


# Messages -------------------------------------------------------------------------------


@router.get("/messages", response=list[MessageOut])
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_messages(request: HttpRequest, filters: Query[MessageQuery]) -> Any:
    return queries.filter_messages(
        _manager(request),
        queries.MessageFilters(
            state=filters.state or "", channel=filters.channel or "", client_id=filters.client
        ),
    )


@router.post("/messages", response={201: MessageDetailOut})
def write_message(request: HttpRequest, payload: WriteIn) -> Any:
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    message = services.write_to_client(
        client=client, by=request.user, to=payload.to, subject=payload.subject, body=payload.body
    )
    return Status(201, Message.objects.get(pk=message.pk))


@router.get("/messages/{message_id}", response=MessageDetailOut)
def get_message(request: HttpRequest, message_id: int) -> Any:
    return _message(request, message_id)


@router.post("/messages/{message_id}/retry", response=MessageDetailOut)
def retry_message(request: HttpRequest, message_id: int) -> Any:
    message = services.retry_message(message=_message(request, message_id), by=request.user)
    return _message(request, message.pk)


@router.get("/clients/{client_id}/messages", response=list[MessageOut])
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def client_messages(request: HttpRequest, client_id: int) -> Any:
    client = get_object_or_404(visible_clients(request.user), pk=client_id)
    return queries.messages_for_client(client)


# Templates ------------------------------------------------------------------------------


@router.get("/message-templates", response=list[TemplateOut])
def list_templates(request: HttpRequest) -> Any:
    _manager(request)
    return MessageTemplate.objects.all()


@router.post("/message-templates", response={201: TemplateOut})
def create_template(request: HttpRequest, payload: TemplateIn) -> Any:
    saved = services.save_template(by=request.user, template=None, data=payload.dict())
    return Status(201, saved)


@router.get("/message-templates/{template_id}", response=TemplateOut)
def get_template(request: HttpRequest, template_id: int) -> Any:
    _manager(request)
    return get_object_or_404(MessageTemplate, pk=template_id)


@router.patch("/message-templates/{template_id}", response=TemplateOut)
def update_template(request: HttpRequest, template_id: int, payload: TemplatePatch) -> Any:
    _manager(request)
    template = get_object_or_404(MessageTemplate, pk=template_id)
    changes = payload.dict(exclude_unset=True)
    return services.save_template(by=request.user, template=template, data=changes)


@router.post("/message-templates/{template_id}/preview", response=PreviewOut)
def preview_template(request: HttpRequest, template_id: int, payload: PreviewIn) -> Any:
    """The template filled with a real client's data; nothing is saved or sent."""
    _manager(request)
    template = get_object_or_404(MessageTemplate, pk=template_id)
    client = _client(request, payload.client)
    return services.preview_template(template=template, client=client, by=request.user)


# Distribution lists ---------------------------------------------------------------------


@router.get("/distribution-lists", response=list[ListOut])
def list_distribution_lists(request: HttpRequest) -> Any:
    _manager(request)
    return DistributionList.objects.all()


@router.post("/distribution-lists", response={201: ListDetailOut})
def create_distribution_list(request: HttpRequest, payload: ListIn) -> Any:
    saved = services.save_distribution_list(
        by=request.user, distribution_list=None, data=payload.dict()
    )
    return Status(201, saved)


@router.get("/distribution-lists/{list_id}", response=ListDetailOut)
def get_distribution_list(request: HttpRequest, list_id: int) -> Any:
    _manager(request)
    return get_object_or_404(DistributionList, pk=list_id)


@router.patch("/distribution-lists/{list_id}", response=ListDetailOut)
def update_distribution_list(request: HttpRequest, list_id: int, payload: ListPatch) -> Any:
    _manager(request)
    found = get_object_or_404(DistributionList, pk=list_id)
    return services.save_distribution_list(
        by=request.user, distribution_list=found, data=payload.dict(exclude_unset=True)
    )


@router.post("/distribution-lists/{list_id}/members", response={201: MemberOut})
def add_member(request: HttpRequest, list_id: int, payload: MemberIn) -> Any:
    _manager(request)
    found = get_object_or_404(DistributionList, pk=list_id)
    target = _member_target(request, payload.kind, payload.value)
    member = services.add_list_member(
        by=request.user, distribution_list=found, kind=payload.kind, target=target
    )
    return Status(201, member)


@router.delete("/distribution-lists/{list_id}/members/{member_id}", response={204: None})
def remove_member(request: HttpRequest, list_id: int, member_id: int) -> Any:
    _manager(request)
    member = get_object_or_404(DistributionListMember, pk=member_id, distribution_list_id=list_id)
    services.remove_list_member(by=request.user, member=member)
    return Status(204, None)


# Chat webhooks --------------------------------------------------------------------------


@router.get("/chat-webhooks", response=list[WebhookOut])
def list_webhooks(request: HttpRequest) -> Any:
    _manager(request)
    return WebhookEndpoint.objects.all()


@router.post("/chat-webhooks", response={201: WebhookOut})
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Any:
    saved = services.save_webhook(by=request.user, webhook=None, data=payload.dict())
    return Status(201, saved)


@router.patch("/chat-webhooks/{webhook_id}", response=WebhookOut)
def update_webhook(request: HttpRequest, webhook_id: int, payload: WebhookPatch) -> Any:
    _manager(request)
    webhook = get_object_or_404(WebhookEndpoint, pk=webhook_id)
    changes = payload.dict(exclude_unset=True)
    return services.save_webhook(by=request.user, webhook=webhook, data=changes)


# Meetings -------------------------------------------------------------------------------


class MeetingIn(Schema):
    client: int | None = None
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


def _meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    visible = visible_clients(request.user)
    meetings = Meeting.objects.filter(Q(client__in=visible) | Q(client__isnull=True))
    return get_object_or_404(meetings, pk=meeting_id)


@router.post("/meetings", response={201: MeetingOut}, tags=["meetings"])
def schedule_meeting(request: HttpRequest, payload: MeetingIn) -> Any:
    """Schedule a meeting; its invitation (METHOD:REQUEST) goes to every attendee."""
    meeting = services.schedule_meeting(
        by=request.user,
        client=_client(request, payload.client),
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        attendees=payload.attendees,
        location=payload.location,
        description=payload.description,
    )
    return Status(201, meeting)


@router.get("/meetings/{meeting_id}", response=MeetingOut, tags=["meetings"])
def get_meeting(request: HttpRequest, meeting_id: int) -> Any:
    return _meeting(request, meeting_id)


@router.post("/meetings/{meeting_id}/move", response=MeetingOut, tags=["meetings"])
def move_meeting(request: HttpRequest, meeting_id: int, payload: MeetingMoveIn) -> Any:
    """Move a meeting: the same UID with a higher SEQUENCE goes to every attendee."""
    return services.move_meeting(
        meeting=_meeting(request, meeting_id),
        by=request.user,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )


@router.post("/meetings/{meeting_id}/cancel", response=MeetingOut, tags=["meetings"])
def cancel_meeting(request: HttpRequest, meeting_id: int) -> Any:
    """Cancel a meeting: METHOD:CANCEL goes to every attendee."""
    return services.cancel_meeting(meeting=_meeting(request, meeting_id), by=request.user)


@router.get("/clients/{client_id}/meetings", response=list[MeetingOut], tags=["meetings"])
def client_meetings(request: HttpRequest, client_id: int) -> Any:
    client = get_object_or_404(visible_clients(request.user), pk=client_id)
    return client.meetings.all()
