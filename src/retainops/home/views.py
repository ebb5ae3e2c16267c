"""The home page (each person's own start of the day) and the bell's notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from retainops.core.pagination import page_or_404
from retainops.home import notifications, queries
from retainops.home.notifications import PAGE_SIZE


@login_required
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "at_risk": queries.clients_at_risk(request.user, now=now),
        "activity": queries.recent_activity(request.user),
        "mrr_chart": queries.mrr_trend(request.user, today=timezone.localdate(now)),
        "requests_chart": queries.requests_by_stage(request.user),
        "has_clients": queries.my_clients(request.user).exists(),
    }
    return render(request, "home/home.html", context)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first, unread ones marked; a page at a time."""
    page = page_or_404(
        notifications.notifications_of(request.user), request.GET.get("page"), PAGE_SIZE
    )
    return render(request, "home/notifications.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark it read and go where it points."""
    notification = get_object_or_404(notifications.notifications_of(request.user), pk=pk)
    notifications.mark_read(by=request.user, notification=notification)
    return redirect(notification.url)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = notifications.mark_all_read(by=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("home:notifications")
