"""Writing and reading the bell's notifications.

Two sources, heard as domain events in the transaction that causes them:
- a task given to someone (`task.opened` with an assignee, `task.reassigned`): "assigned
  to me", unless they gave it to themselves;
- a message the outbox is sending to staff (`message.queued`): every recipient address
  that is an active person's gets a copy, so each reminder, escalation and clock alert
  they are e-mailed is also in the app.
"""

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from retainops.core.events import listen
from retainops.core.models import User
from retainops.home.models import Notification, NotificationKind
from retainops.messaging.events import MessageQueued, MessagesQueued
from retainops.messaging.models import MessageRecipient
from retainops.playbooks.events import TaskOpened, TaskReassigned

PAGE_SIZE = 30


def notifications_of(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, by: Any, notification: Notification) -> Notification:
    """Mark one of the person's notifications read (again is harmless)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, by: Any) -> int:
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())


def _on_task_given(event: TaskOpened | TaskReassigned) -> None:
    task = event.task
    if task.assignee_id is None or task.assignee_id == getattr(event.by, "pk", None):
        return
    Notification.objects.create(
        user_id=task.assignee_id,
        kind=NotificationKind.ASSIGNED,
        title=f"{task.title} ({task.client.name})"[:300],
        url=reverse("playbooks:task", args=[task.pk]),
    )


def _link_of(message: Any) -> str:
    if message.run_id:
        return reverse("playbooks:run", args=[message.run_id])
    if message.client_id:
        return reverse("clients:detail", args=[message.client_id])
    return reverse("home:home")


def _on_message_queued(event: MessageQueued) -> None:
    _copy_to_staff([event.message])


def _on_messages_queued(event: MessagesQueued) -> None:
    _copy_to_staff(event.messages)


def _copy_to_staff(messages: list[Any]) -> None:
    """Each message's copy for every active person it is addressed to: one read of the
    addresses, one of the people and one insert, however many messages."""
    addresses: dict[int, set[str]] = {m.pk: set() for m in messages}
    for message_id, address in MessageRecipient.objects.filter(
        message_id__in=list(addresses)
    ).values_list("message_id", "address"):
        addresses[message_id].add(address.lower())
    wanted = set().union(*addresses.values())
    if not wanted:
        return
    people = list(
        User.objects.alias(address=Lower("email")).filter(is_active=True, address__in=wanted)
    )
    copies = [
        Notification(
            user=p,
            kind=NotificationKind.NOTICE,
            title=(message.subject or message.body_text[:120])[:300],
            url=_link_of(message),
            message_id=message.pk,
        )
        for message in messages
        for p in people
        if p.email.lower() in addresses[message.pk]
    ]
    Notification.objects.bulk_create(copies, ignore_conflicts=True)


def register() -> None:
    listen(TaskOpened, _on_task_given)
    listen(TaskReassigned, _on_task_given)
    listen(MessageQueued, _on_message_queued)
    listen(MessagesQueued, _on_messages_queued)
