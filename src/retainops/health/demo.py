"""Health's demo story: a history with a known churn hazard, so the model has something
true to find and a test can check that it finds it.

The planted hazard: each month a client still served gives notice with probability
sigmoid(-4.2 + 0.06 x days since its last touchpoint + 1.0 x complaints breached in
the last 90 days). The other signals move at random and drive nothing. Every row is
written in bulk with its real timestamps, so the signal providers read back the same
history the hazard saw.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from retainops.cadence.choices import ContactChannel as TouchChannel
from retainops.cadence.choices import TouchpointSource
from retainops.cadence.models import Touchpoint
from retainops.changes.choices import ChangeKind, Escalation
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import Client
from retainops.complaints.choices import ComplaintChannel, Severity
from retainops.complaints.models import Complaint, ComplaintCategory
from retainops.core.models import BusinessUnit, User

PLANTED_DRIVERS = ("days_since_touch", "breached_complaints")
INTERCEPT, PER_DAY, PER_BREACH = -4.2, 0.06, 1.0


@dataclass(frozen=True)
class PlantedHistory:
    clients: int
    notices: int
    months: int


def plant_history(
    *,
    clients: int,
    months: int,
    seed: int = 7,
    now: datetime | None = None,
    unit: BusinessUnit | None = None,
    staff: User | None = None,
) -> PlantedHistory:
    """Write `clients` clients with `months` months of touchpoints, complaints and notices."""
    rng = random.Random(seed)
    now = now or timezone.now()
    start = now - timedelta(days=30 * months)
    unit = unit or BusinessUnit.objects.get_or_create(code="hist", defaults={"name": "History"})[0]
    staff = staff or User.objects.get_or_create(username="history-am")[0]
    category = ComplaintCategory.objects.get_or_create(
        code="service", defaults={"label": "Service"}
    )[0]
    reason = ChangeReason.objects.get_or_create(code="value", defaults={"label": "Value"})[0]
    made = Client.objects.bulk_create(
        Client(name=f"History client {i:04d}", business_unit=unit, sold_on=start.date())
        for i in range(clients)
    )
    touches: list[Touchpoint] = []
    complaints: list[Complaint] = []
    notices: list[ChangeRequest] = []
    for client in made:
        # Each client's service varies: a neglect level that drifts month to month.
        gap_mean = rng.uniform(5, 25)
        complaint_rate = rng.uniform(0.05, 0.5)
        last_touch = start
        breaches: list[datetime] = []
        day = start
        for _month in range(months):
            month_end = day + timedelta(days=30)
            gap_mean = min(70.0, max(3.0, gap_mean * math.exp(rng.gauss(0, 0.35))))
            at = last_touch + timedelta(days=rng.expovariate(1 / gap_mean))
            while at <= month_end:
                touches.append(
                    Touchpoint(
                        client=client,
                        channel=TouchChannel.CALL,
                        at=at,
                        by=staff,
                        source=TouchpointSource.LOGGED,
                    )
                )
                last_touch = at
                at = at + timedelta(days=rng.expovariate(1 / gap_mean))
            if rng.random() < complaint_rate:
                raised = day + timedelta(days=rng.uniform(0, 28))
                breached = rng.random() < 0.45
                due = raised + timedelta(hours=8)
                answered = due + timedelta(hours=20) if breached else raised + timedelta(hours=2)
                complaints.append(
                    Complaint(
                        client=client,
                        channel=ComplaintChannel.PHONE,
                        severity=Severity.MEDIUM,
                        category=category,
                        summary="Service complaint",
                        description="-",
                        owner=staff,
                        raised_at=raised,
                        acknowledged_at=answered,
                        resolved_at=answered + timedelta(days=1),
                        response_target_minutes=480,
                        resolution_target_minutes=4800,
                        warn_at_percent=80,
                        second_level_percent=150,
                        response_due_at=due,
                        resolution_due_at=raised + timedelta(days=10),
                    )
                )
                if breached:
                    breaches.append(raised)
            days_since = (month_end - last_touch).days
            recent = sum(1 for b in breaches if month_end - timedelta(days=90) < b <= month_end)
            logit = INTERCEPT + PER_DAY * days_since + PER_BREACH * recent
            if rng.random() < 1 / (1 + math.exp(-logit)):
                raised = month_end + timedelta(days=rng.uniform(1, 29))
                if raised < now:
                    notices.append(
                        ChangeRequest(
                            client=client,
                            kind=ChangeKind.CANCELLATION,
                            reason=reason,
                            escalation=Escalation.RETENTION_TEAM,
                            effective_date=(raised + timedelta(days=30)).date(),
                            raised_by=staff,
                            raised_at=raised,
                        )
                    )
                break
            day = month_end
    Touchpoint.objects.bulk_create(touches, batch_size=2000)
    Complaint.objects.bulk_create(complaints, batch_size=2000)
    ChangeRequest.objects.bulk_create(notices, batch_size=2000)
    return PlantedHistory(clients=clients, notices=len(notices), months=months)


HISTORY_CLIENTS = 300


def seed_health(clients: int = HISTORY_CLIENTS, months: int = 18) -> list[str]:
    """The demo's history unit with its planted hazard, and a model trained on it."""
    from retainops.health.training import train_churn_model

    if clients == 0:
        return []

    if BusinessUnit.objects.filter(code="hist").exists():
        return ["health: history already planted"]
    planted = plant_history(clients=clients, months=months)
    run = train_churn_model()
    return [
        f"health: {planted.clients} clients with {planted.months} months of history, "
        f"{planted.notices} notices; churn model {run.state} ({run.chosen or run.error})"
    ]
