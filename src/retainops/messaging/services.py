"""Operations that put messages in the outbox, and administer what feeds it.

`queue_message` writes the message in the caller's transaction: if that
transaction rolls back, the message never existed. Delivery is the worker's
job (delivery.py).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retainops.clients.models import Client
from retainops.core.access import require_capability, require_unit_access
from retainops.core.capabilities import Capability
from retainops.core.errors import invalid
from retainops.core.events import ConfigurationChanged, emit
from retainops.core.site import site_url
from retainops.core.transitions import move
from retainops.messaging import events
from retainops.messaging.choices import Channel, MeetingState
from retainops.messaging.invitations import build_invitation
from retainops.messaging.models import (
    DistributionList,
    DistributionListMember,
    Meeting,
    Message,
    MessageAttachment,
    MessageRecipient,
    MessageTemplate,
    WebhookEndpoint,
)
from retainops.messaging.recipients import Recipient, resolve_recipients
from retainops.messaging.templating import (
    render_text,
    template_context,
    validate_template_text,
)


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Outgoing:
    """What a process wants to say; queue_message turns it into a message row."""

    subject: str
    body_text: str
    to: list[str] = field(default_factory=list)
    body_html: str = ""
    channel: str = Channel.EMAIL
    webhook: WebhookEndpoint | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Prepared:
    """A message checked and ready to write: its row, recipients and attachments, unsaved.
    queue_message writes one; queue_prepared writes many with one insert per table."""

    message: Message
    recipients: list[Recipient]
    attachments: list[Attachment]


def prepare_message(
    *,
    outgoing: Outgoing,
    client: Client | None,
    cause: str,
    by: Any = None,
    run: Any = None,
    known_users: Mapping[str, Any] | None = None,
) -> Prepared:
    """The message queue_message would write, refused (ValidationError) as it refuses it;
    nothing is written. `known_users`: people already loaded, by username."""
    if not outgoing.body_text.strip():
        raise invalid("body", "The message has no text.")
    recipients: list[Recipient] = []
    if outgoing.channel == Channel.EMAIL:
        recipients = resolve_recipients(outgoing.to, client, known_users=known_users)
    elif outgoing.webhook is None or not outgoing.webhook.is_active:
        raise invalid("webhook", "A chat message needs an active webhook.")
    message = Message(
        channel=outgoing.channel,
        client=client,
        cause=cause[:120],
        run=run,
        created_by=by if getattr(by, "pk", None) else None,
        subject=outgoing.subject[:300],
        body_text=outgoing.body_text,
        body_html=outgoing.body_html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        webhook=outgoing.webhook,
        max_attempts=settings.MESSAGE_MAX_ATTEMPTS,
        next_attempt_at=timezone.now(),
    )
    return Prepared(message, recipients, list(outgoing.attachments))


def queue_message(
    *, outgoing: Outgoing, client: Client | None, cause: str, by: Any = None, run: Any = None
) -> Message:
    """Write a message to the outbox inside the current transaction; `run` is the playbook
    run that queued it, if one did."""
    prepared = prepare_message(outgoing=outgoing, client=client, cause=cause, by=by, run=run)
    with transaction.atomic():
        [message] = _write([prepared])
    emit(events.MessageQueued(message=message, by=by if getattr(by, "pk", None) else None))
    return message


def queue_prepared(prepared: list[Prepared]) -> list[Message]:
    """Write prepared messages together: one insert of the messages, one of their
    recipients, one of their attachments; announced as one MessagesQueued."""
    if not prepared:
        return []
    with transaction.atomic():
        messages = _write(prepared)
    emit(events.MessagesQueued(messages=messages))
    return messages


def _write(prepared: list[Prepared]) -> list[Message]:
    messages = Message.objects.bulk_create([p.message for p in prepared])
    MessageRecipient.objects.bulk_create(
        MessageRecipient(message=p.message, address=r.address, name=r.name, source=r.source)
        for p in prepared
        for r in p.recipients
    )
    MessageAttachment.objects.bulk_create(
        MessageAttachment(
            message=p.message,
            filename=attachment.filename,
            content_type=attachment.content_type,
            content=attachment.content,
        )
        for p in prepared
        for attachment in p.attachments
    )
    return messages


def first_active_webhook() -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(is_active=True).order_by("id").first()


def outgoing_from_template(
    template: MessageTemplate,
    *,
    to: list[str],
    client: Client | None,
    by: Any = None,
    extra: dict[str, Any] | None = None,
    attachments: list[Attachment] | None = None,
    client_vars: dict[str, Any] | None = None,
    webhook: Callable[[], WebhookEndpoint | None] = first_active_webhook,
) -> Outgoing:
    """A stored template rendered with the client's (and process's) variables.
    `client_vars` and `webhook` let a caller that renders many reuse what it read."""
    context = template_context(client=client, sender=by, extra=extra, client_vars=client_vars)
    return Outgoing(
        subject=render_text(template.subject, context).strip(),
        body_text=render_text(template.body_text, context),
        body_html=render_text(template.body_html, context, html=True) if template.body_html else "",
        to=to,
        channel=template.channel,
        webhook=webhook() if template.channel == Channel.CHAT else None,
        attachments=attachments or [],
    )


def no_template(template_code: str) -> ValidationError:
    return invalid("template", f"No message template has the code {template_code!r}.")


def queue_from_template(
    *,
    template_code: str,
    to: list[str],
    client: Client | None,
    cause: str,
    by: Any = None,
    extra: dict[str, Any] | None = None,
    attachments: list[Attachment] | None = None,
    run: Any = None,
) -> Message:
    """Render a stored template with the client's (and process's) variables and queue it."""
    template = MessageTemplate.objects.filter(code=template_code).first()
    if template is None:
        raise no_template(template_code)
    outgoing = outgoing_from_template(
        template, to=to, client=client, by=by, extra=extra, attachments=attachments
    )
    return queue_message(outgoing=outgoing, client=client, cause=cause, by=by, run=run)


@transaction.atomic
def write_to_client(*, client: Client, by: Any, to: list[str], subject: str, body: str) -> Message:
    """A member of staff writes an e-mail to a client's contacts or any recipients."""
    require_capability(by, Capability.EDIT_CLIENT)
    require_unit_access(by, client.business_unit_id)
    problems: dict[str, list[str]] = {}
    if not subject.strip():
        problems["subject"] = ["Give the e-mail a subject."]
    if not body.strip():
        problems["body"] = ["Write something."]
    if problems:
        raise ValidationError(problems)
    outgoing = Outgoing(subject=subject.strip(), body_text=body, to=to)
    return queue_message(outgoing=outgoing, client=client, cause="written by staff", by=by)


@transaction.atomic
def retry_message(*, message: Message, by: Any) -> Message:
    """Put a failed message back in the queue, with a fresh set of attempts."""
    require_capability(by, Capability.MANAGE_MESSAGES)
    updated = move(
        message,
        "retry_by_hand",
        by=by,
        attempts=0,
        interruptions=0,
        next_attempt_at=timezone.now(),
        last_error=f"retried by {by.username}; earlier error: {message.last_error}"[:2000],
    )
    if not updated:
        raise invalid("state", "Only a failed message can be retried.")
    message.refresh_from_db()
    emit(events.MessageRetried(message=message, by=by))
    return message


# Meetings -------------------------------------------------------------------------------


def _invite(meeting: Meeting, *, method: str, by: Any, subject: str) -> Message:
    attendees = resolve_recipients(list(meeting.attendees), meeting.client)
    ics = build_invitation(meeting, attendees, method=method)
    when = timezone.localtime(meeting.starts_at).strftime("%A %d %B %Y, %H:%M")
    body = f"{meeting.title}\n{when}\n{meeting.location}\n\n{meeting.description}".strip()
    outgoing = Outgoing(
        subject=subject,
        body_text=body,
        to=list(meeting.attendees),
        attachments=[
            Attachment("invite.ics", f"text/calendar; method={method}; charset=utf-8", ics)
        ],
    )
    return queue_message(
        outgoing=outgoing, client=meeting.client, cause=f"meeting {meeting.uid}", by=by
    )


def _check_meeting_rights(by: Any, client: Client | None) -> None:
    """Whoever may edit a client may meet with it; meetings without a client need
    the outbox right, since they speak for the agency as a whole."""
    if client is None:
        require_capability(by, Capability.MANAGE_MESSAGES)
        return
    require_capability(by, Capability.EDIT_CLIENT)
    require_unit_access(by, client.business_unit_id)


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise invalid("ends_at", "A meeting must end after it starts.")


@transaction.atomic
def schedule_meeting(
    *,
    by: Any,
    client: Client | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    attendees: list[str],
    location: str = "",
    description: str = "",
) -> Meeting:
    """Create a meeting and queue its invitation (METHOD:REQUEST)."""
    _check_meeting_rights(by, client)
    return book_meeting(
        organizer=by,
        client=client,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        attendees=attendees,
        location=location,
        description=description,
    )


def book_meeting(
    *,
    organizer: Any,
    client: Client | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    attendees: list[str],
    location: str = "",
    description: str = "",
    recurrence: str = "",
) -> Meeting:
    """Create a meeting and queue its invitation, for a caller that has checked the rights
    (a person through schedule_meeting, or a playbook step booking its meeting)."""
    if not title.strip():
        raise invalid("title", "Give the meeting a title.")
    _check_times(starts_at, ends_at)
    resolve_recipients(attendees, client)  # refuse unknown attendees before writing
    with transaction.atomic():
        meeting = Meeting.objects.create(
            client=client,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            attendees=attendees,
            location=location,
            description=description,
            organizer=organizer,
            recurrence=recurrence,
        )
        _invite(meeting, method="REQUEST", by=organizer, subject=f"Invitation: {title}")
    by = organizer if getattr(organizer, "pk", None) else None
    emit(events.MeetingChanged(meeting=meeting, change="booked", by=by))
    return meeting


@transaction.atomic
def move_meeting(*, meeting: Meeting, by: Any, starts_at: datetime, ends_at: datetime) -> Meeting:
    """Move a meeting: same UID, higher SEQUENCE, an updated REQUEST to everyone."""
    _check_meeting_rights(by, meeting.client)
    return reschedule_meeting(meeting=meeting, by=by, starts_at=starts_at, ends_at=ends_at)


def reschedule_meeting(
    *,
    meeting: Meeting,
    by: Any,
    starts_at: datetime,
    ends_at: datetime,
    recurrence: str | None = None,
) -> Meeting:
    """move_meeting without the rights check, for callers that made it (playbook steps)."""
    _check_times(starts_at, ends_at)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.state == MeetingState.CANCELLED:
            raise invalid("state", "A cancelled meeting cannot be moved.")
        meeting.starts_at, meeting.ends_at = starts_at, ends_at
        if recurrence is not None:
            meeting.recurrence = recurrence
        meeting.sequence += 1
        meeting.save()
        _invite(meeting, method="REQUEST", by=by, subject=f"Moved: {meeting.title}")
    emit(events.MeetingChanged(meeting=meeting, change="moved", by=by))
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting: Meeting, by: Any) -> Meeting:
    """Cancel a meeting: METHOD:CANCEL with the same UID and a higher SEQUENCE."""
    _check_meeting_rights(by, meeting.client)
    return call_off_meeting(meeting=meeting, by=by)


def call_off_meeting(*, meeting: Meeting, by: Any) -> Meeting:
    """cancel_meeting without the rights check, for callers that made it (cancelled runs)."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.state == MeetingState.CANCELLED:
            raise invalid("state", "The meeting is already cancelled.")
        meeting.cancel()  # raises its SEQUENCE too
        meeting.save()
        _invite(meeting, method="CANCEL", by=by, subject=f"Cancelled: {meeting.title}")
    emit(events.MeetingChanged(meeting=meeting, change="called_off", by=by))
    return meeting


# Administration -------------------------------------------------------------------------


@transaction.atomic
def save_template(
    *, by: Any, template: MessageTemplate | None, data: dict[str, Any]
) -> MessageTemplate:
    """Create or change a template; refused (naming it) if it uses an unknown variable."""
    require_capability(by, Capability.MANAGE_MESSAGES)
    template = template or MessageTemplate()
    for name in ("code", "name", "channel", "subject", "body_text", "body_html"):
        if name in data:
            setattr(template, name, data[name])
    problems: dict[str, list[str]] = {}
    for name, html in (("subject", False), ("body_text", False), ("body_html", True)):
        try:
            validate_template_text(name, getattr(template, name), html=html)
        except ValidationError as error:
            problems.update(error.message_dict)
    if problems:
        raise ValidationError(problems)
    template.full_clean()
    template._history_user = by  # type: ignore[attr-defined]
    template.save()
    emit(ConfigurationChanged(entry=template, change="saved", by=by))
    return template


def preview_template(
    *, template: MessageTemplate, client: Client | None, by: Any
) -> dict[str, str]:
    """The template rendered with a real client's data (nothing is sent)."""
    context = template_context(client=client, sender=by, extra={"link": site_url()})
    return {
        "subject": render_text(template.subject, context).strip(),
        "body_text": render_text(template.body_text, context),
        "body_html": render_text(template.body_html, context, html=True),
    }


@transaction.atomic
def save_distribution_list(
    *, by: Any, distribution_list: DistributionList | None, data: dict[str, Any]
) -> DistributionList:
    require_capability(by, Capability.MANAGE_MESSAGES)
    distribution_list = distribution_list or DistributionList()
    for name in ("code", "name", "description"):
        if name in data:
            setattr(distribution_list, name, data[name])
    distribution_list.full_clean()
    distribution_list._history_user = by  # type: ignore[attr-defined]
    distribution_list.save()
    emit(ConfigurationChanged(entry=distribution_list, change="saved", by=by))
    return distribution_list


@transaction.atomic
def add_list_member(
    *, by: Any, distribution_list: DistributionList, kind: str, target: Any
) -> DistributionListMember:
    """Add a user, contact, role or address (given as `target`) to a list."""
    require_capability(by, Capability.MANAGE_MESSAGES)
    member = DistributionListMember(distribution_list=distribution_list, kind=kind)
    if kind == "address":
        member.address = str(target)
    elif kind in ("user", "contact", "role"):
        setattr(member, kind, target)
    else:
        raise invalid("kind", f"Unknown member kind {kind!r}.")
    member.full_clean()
    if kind != "address" and target is None:
        raise invalid(kind, f"Choose a {kind}.")
    member._history_user = by  # type: ignore[attr-defined]
    member.save()
    emit(ConfigurationChanged(entry=member, change="saved", by=by))
    return member


@transaction.atomic
def remove_list_member(*, by: Any, member: DistributionListMember) -> None:
    require_capability(by, Capability.MANAGE_MESSAGES)
    member._history_user = by  # type: ignore[attr-defined]
    member.delete()
    emit(ConfigurationChanged(entry=member, change="removed", by=by))


@transaction.atomic
def save_webhook(
    *, by: Any, webhook: WebhookEndpoint | None, data: dict[str, Any]
) -> WebhookEndpoint:
    require_capability(by, Capability.MANAGE_MESSAGES)
    webhook = webhook or WebhookEndpoint()
    for name in ("code", "name", "url", "secret", "is_active"):
        if name in data:
            setattr(webhook, name, data[name])
    if not webhook.secret.startswith("whsec_"):
        raise invalid("secret", "Use a Standard Webhooks secret: whsec_ followed by base64.")
    webhook.full_clean()
    webhook._history_user = by  # type: ignore[attr-defined]
    webhook.save()
    emit(ConfigurationChanged(entry=webhook, change="saved", by=by))
    return webhook


TEMPLATE_TEXTS = (("subject", False), ("body_text", False), ("body_html", True))


def preview_draft(*, by: Any, data: dict[str, Any], client: Client | None) -> dict[str, str]:
    """Render template text that is not saved yet, so an editor sees it before keeping it.

    The text is checked as save_template checks it: an unknown variable is
    refused naming it rather than rendered as an empty string.
    """
    require_capability(by, Capability.MANAGE_MESSAGES)
    draft = MessageTemplate(**{name: data.get(name) or "" for name, _html in TEMPLATE_TEXTS})
    problems: dict[str, list[str]] = {}
    for name, html in TEMPLATE_TEXTS:
        try:
            validate_template_text(name, getattr(draft, name), html=html)
        except ValidationError as error:
            problems.update(error.message_dict)
    if problems:
        raise ValidationError(problems)
    return preview_template(template=draft, client=client, by=by)
