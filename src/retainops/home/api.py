"""API for the bell: my notifications, and marking them read."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from retainops.core.pagination import Pages
from retainops.home import notifications
from retainops.home.schemas import NotificationOut, ReadAllOut

router = Router(tags=["notifications"])


@router.get("/notifications", response=list[NotificationOut])
@paginate(Pages, page_size=50, max_page_size=200)
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    """The caller's notifications, newest first (`unread=true`: only those not read)."""
    rows = notifications.notifications_of(request.user)
    return rows.filter(read_at__isnull=True) if unread else rows


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_notification(request: HttpRequest, notification_id: int) -> Any:
    notification = get_object_or_404(
        notifications.notifications_of(request.user), pk=notification_id
    )
    return notifications.mark_read(by=request.user, notification=notification)


@router.post("/notifications/read", response=ReadAllOut)
def read_all_notifications(request: HttpRequest) -> Any:
    return {"marked": notifications.mark_all_read(by=request.user)}
