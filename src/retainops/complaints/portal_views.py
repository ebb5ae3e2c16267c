"""The client raises a complaint through its portal link (the onboarding portal's link,
resolved the same way: anything wrong with it answers the portal's plain "not found")."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from retainops.complaints.forms import PortalComplaintForm
from retainops.complaints.services import raise_complaint_from_portal
from retainops.core.forms import attempt
from retainops.onboarding import portal
from retainops.onboarding.models import PortalLink
from retainops.onboarding.portal_views import render_portal, resolved_link


@resolved_link
def raise_on_portal(request: HttpRequest, link: PortalLink) -> HttpResponse:
    client = link.program.client
    form = PortalComplaintForm(request.POST or None)
    if request.method == "POST":
        raised = form.is_valid() and attempt(
            form,
            lambda: raise_complaint_from_portal(client=client, **form.cleaned_data),
        )
        if raised:
            messages.success(
                request, "Thank you: your account team has it and will answer you shortly."
            )
            return redirect(reverse("portal:home", args=[portal.token_for(link)]))
    context = {"form": form, "client": client, "program": link.program}
    status = 400 if request.method == "POST" else 200
    return render_portal(request, "complaints/portal_raise.html", context, status=status)
