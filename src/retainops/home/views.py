"""The home page: each person's own start of the day."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from retainops.home import queries


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
