"""Demo complaints with a story: one of each status, their clocks running, paused and
breached; a resolved one with an improvement action still open and a closed one whose
action is done; and late monthly reports complained of by client after client, a theme
spreading that the operations lead has been told of.

Complaints are raised through the services, then moved back in time (their raising,
first response and pause) so their clocks read as the story says; the timers are then
scheduled from those moments, and the worker's first pass tells what is already due.
"""

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from retainops.clients.choices import ClientStatus
from retainops.clients.demo import demo_clients
from retainops.clients.models import Client
from retainops.complaints import services, themes
from retainops.complaints.clocks import schedule_timers
from retainops.complaints.corpus import sample
from retainops.complaints.models import (
    BusinessCalendar,
    ClockPause,
    Complaint,
    ComplaintActivity,
    ComplaintCategory,
    RootCause,
)
from retainops.core.models import User

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SEED = 2002


def _calendars() -> None:
    """Every demo unit works Monday to Friday, 9:00 to 17:00, in the project's zone."""
    for unit_id in demo_clients().values_list("business_unit_id", flat=True).distinct():
        BusinessCalendar.objects.get_or_create(
            business_unit_id=unit_id,
            defaults={"time_zone": settings.TIME_ZONE, "working_days": [1, 2, 3, 4, 5]},
        )


def _backdate(complaint: Complaint, raised: datetime, *, answered: datetime | None = None) -> None:
    """Move the complaint's raising (and first response) back to the story's moments."""
    fields: dict[str, datetime] = {"raised_at": raised}
    if answered is not None:
        fields["acknowledged_at"] = answered
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    ComplaintActivity.objects.filter(complaint=complaint).update(at=raised)
    for name, value in fields.items():
        setattr(complaint, name, value)


def _raise(client: Client, by: User, group: str, severity: str, rng: random.Random) -> Complaint:
    text = sample(group, rng)
    category = {"late-reports": "reporting", "billing": "billing", "slow-site": "website"}
    return services.raise_complaint(
        by=by,
        client=client,
        channel=rng.choice(["phone", "email", "meeting"]),
        severity=severity,
        category=ComplaintCategory.objects.get(code=category.get(group, "service")),
        summary=text.summary,
        description=text.description,
        contact=client.contacts.first(),
    )


def _story(clients: list[Client], by: User, lead: User, now: datetime) -> None:
    rng = random.Random(SEED)
    cause = RootCause.objects.get(code="missed-handoff")

    fresh = _raise(clients[0], by, "billing", "medium", rng)
    _backdate(fresh, now - HOUR / 2)

    answered = _raise(clients[1], by, "unanswered", "medium", rng)
    _backdate(answered, now - DAY, answered=now - DAY + HOUR)
    services.acknowledge_complaint(complaint=answered, by=by)

    breached = _raise(clients[2], by, "slow-site", "high", rng)
    services.acknowledge_complaint(complaint=breached, by=by)
    services.start_work(complaint=breached, by=by)
    _backdate(breached, now - 8 * DAY, answered=now - 8 * DAY + HOUR)

    waiting = _raise(clients[3], by, "ad-spend", "medium", rng)
    services.acknowledge_complaint(complaint=waiting, by=by)
    services.start_work(complaint=waiting, by=by, note="Asked for the approval e-mail.")
    services.wait_on_client(complaint=waiting, by=by, note="Waiting for the client's records.")
    _backdate(waiting, now - 2 * DAY, answered=now - 2 * DAY + HOUR)
    ClockPause.objects.filter(complaint=waiting).update(started_at=now - DAY)

    for complaint in (fresh, answered, breached, waiting):
        complaint.refresh_from_db()
        schedule_timers(complaint, now)

    resolved = _raise(clients[4], by, "late-reports", "low", rng)
    services.acknowledge_complaint(complaint=resolved, by=by)
    services.resolve_complaint(
        complaint=resolved,
        by=by,
        root_cause=cause,
        resolution="Report resent with the analyst's commentary.",
        actions=[
            services.ActionPlan("Reports go out with commentary", lead, now.date() + 14 * DAY)
        ],
    )
    closed = _raise(clients[5], by, "late-reports", "medium", rng)
    services.acknowledge_complaint(complaint=closed, by=by)
    services.resolve_complaint(
        complaint=closed,
        by=by,
        root_cause=cause,
        resolution="Reporting date moved to the 3rd of each month.",
        actions=[services.ActionPlan("Reporting calendar per client", lead, now.date() + 7 * DAY)],
    )
    services.complete_improvement_action(action=closed.actions.get(), by=lead)
    services.close_complaint(complaint=closed, by=by)

    # The same complaint from more clients over the last three weeks: a theme spreading.
    for offset, client in enumerate(clients[6:10]):
        late = _raise(client, by, "late-reports", "medium", rng)
        services.acknowledge_complaint(complaint=late, by=by)
        _backdate(late, now - (3 + 4 * offset) * DAY, answered=now - (3 + 4 * offset) * DAY + HOUR)
        late.refresh_from_db()
        schedule_timers(late, now)


@transaction.atomic
def seed_complaints() -> list[str]:
    """Once: the demo complaints on active demo clients the demo account manager serves."""
    by = User.objects.filter(username="account_manager").first()
    lead = User.objects.filter(username="team_lead").first()
    if by is None or lead is None:
        return ["Demo complaints: no demo staff to raise them."]
    active = demo_clients().filter(
        status=ClientStatus.ACTIVE, business_unit__in=by.business_units.all()
    )
    clients = list(active.order_by("id")[:10])
    if len(clients) < 10 or Complaint.objects.filter(client__in=clients).exists():
        return ["Demo complaints: already there."]
    _calendars()
    now = timezone.now()
    _story(clients, by, lead, now)
    report = themes.refresh_themes(now=now)
    return [
        f"Demo complaints: {Complaint.objects.filter(client__in=clients).count()} raised, "
        f"{report.told} theme(s) spreading told to operations."
    ]
