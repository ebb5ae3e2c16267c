"""API for the outbox and what feeds it: messages, templates, lists, chat webhooks.

Thin, like the pages: each endpoint resolves what it names (scoped to the
caller: another unit's client is "not found"), then calls the same service.
Reading the outbox and its administration needs messages.manage; writing to a
client needs what editing the client needs; a client's own messages are for
anyone who sees the client.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from retainops.clients.models import Client, Contact
from retainops.clients.queries import visible_clients
from retainops.core.access import require_capability
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.models import Role, User
from retainops.core.pagination import Pages
from retainops.core.schemas import fields_sent, parse_id
from retainops.messaging import queries, services
from retainops.messaging.choices import MemberKind
from retainops.messaging.models import (
    DistributionList,
    DistributionListMember,
    Meeting,
    Message,
    MessageTemplate,
    WebhookEndpoint,
)
from retainops.messaging.schemas import (
    ListDetailOut,
    ListIn,
    ListOut,
    ListPatch,
    MeetingIn,
    MeetingMoveIn,
    MeetingOut,
    MemberIn,
    MemberOut,
    MessageDetailOut,
    MessageOut,
    MessageQuery,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WriteIn,
)

router = Router(tags=["messages"])


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
        contact_id = parse_id(value)
        found = contacts.filter(pk=contact_id).first() if contact_id else None
    elif kind == MemberKind.ROLE:
        found = Role.objects.filter(code=value).first()
    else:
        found = value if _is_address(value) else None
    if found is None:
        raise invalid("value", f"No {MemberKind(kind).label.lower()} matches {value!r}.")
    return found


# Messages -------------------------------------------------------------------------------


@router.get("/messages", response=list[MessageOut])
@paginate(Pages, page_size=50, max_page_size=500)
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
@paginate(Pages, page_size=50, max_page_size=500)
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
    changes = fields_sent(payload)  # every template field holds a value
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
