"""Demo contact plans: every demo client still served gets the plan its template gives
(weekly e-mail, monthly report then a call, quarterly meeting, newsletter; a weekly call
for the big spenders), and two years of history behind it. Most account managers keep
their plans; a few fall behind over the last months (later, then missed), so adherence
and the clients-without-a-touchpoint list have a story to tell.

The plans go through the services (occurrences ahead, the owners' invitations); the
history is written in bulk, as the past cannot be lived through again.
"""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from retainops.cadence import services
from retainops.cadence.choices import ContactChannel, Outcome
from retainops.cadence.choices import TouchpointSource as Source
from retainops.cadence.models import ContactKind, Occurrence, PlanItem, PlanTemplate, Touchpoint
from retainops.cadence.recurrence import instants
from retainops.clients.demo import ADMIN_USERNAME, demo_clients
from retainops.clients.models import Client, ClientTeamMember
from retainops.core.models import User

SEED = 20261
HISTORY_DAYS = 730
# The last months in which the account managers who fall behind slip.
SLIPPING_DAYS = 150
BATCH = 2000

STANDARD = [
    ("weekly-email", "FREQ=WEEKLY;BYDAY=TU"),
    ("monthly-report-call", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1"),
    ("quarterly-meeting", "FREQ=MONTHLY;INTERVAL=3;BYDAY=WE;BYSETPOS=2"),
    ("newsletter", "FREQ=MONTHLY;BYMONTHDAY=15"),
]
BIG_SPENDERS = [*STANDARD, ("call", "FREQ=WEEKLY;BYDAY=TH")]


def _templates(admin: User) -> None:
    for name, items, floor, priority in (
        ("Standard plan", STANDARD, None, 0),
        ("Big spenders", BIG_SPENDERS, Decimal("8000"), 10),
    ):
        if PlanTemplate.objects.filter(name=name).exists():
            continue
        kinds = {k.code: k for k in ContactKind.objects.all()}
        services.save_template(
            by=admin,
            name=name,
            min_monthly_budget=floor,
            priority=priority,
            items=[{"kind": kinds[code], "rrule": rule} for code, rule in items],
        )


def _diligence(managers: list[int], rng: random.Random) -> dict[int, float]:
    """How reliably each account manager keeps the plan; a few fall behind."""
    behind = set(rng.sample(managers, k=max(1, len(managers) // 4))) if managers else set()
    return {m: (0.35 if m in behind else rng.uniform(0.85, 0.97)) for m in managers}


def seed_cadence() -> list[str]:
    """Once: plans on every demo client still served, with two years behind them."""
    clients = list(demo_clients().exclude(status="cancelled").order_by("id"))
    if not clients or PlanItem.objects.filter(client__in=clients).exists():
        return ["Demo contact plans: already there."]
    admin = User.objects.get(username=ADMIN_USERNAME)
    _templates(admin)
    rng = random.Random(SEED)
    managers = dict(
        ClientTeamMember.objects.filter(
            client__in=clients, role__code="account_manager"
        ).values_list("client_id", "user_id")
    )
    diligence = _diligence(sorted(set(managers.values())), rng)
    now = timezone.now()
    occurrences = touchpoints = 0
    for client in clients:
        with transaction.atomic():
            items = _plan(client, admin, now)
            made = _history(client, items, managers.get(client.pk), diligence, rng, now)
        occurrences += made[0]
        touchpoints += made[1]
    behind = sum(1 for share in diligence.values() if share < 0.5)
    return [
        f"Demo contact plans: {len(clients)} clients, {occurrences} past occurrences, "
        f"{touchpoints} touchpoints; {behind} account manager(s) falling behind."
    ]


def _plan(client: Client, admin: User, now: datetime) -> list[PlanItem]:
    start = max(client.sold_on or date.min, (now - timedelta(days=HISTORY_DAYS)).date())
    return services.apply_template(by=admin, client=client, starts_on=start)


def _history(
    client: Client,
    items: list[PlanItem],
    manager: int | None,
    diligence: dict[int, float],
    rng: random.Random,
    now: datetime,
) -> tuple[int, int]:
    """Past occurrences of each item and the touchpoints that met them (or not)."""
    rows: list[Occurrence] = []
    contacts: list[Touchpoint] = []
    for item in items:
        past = instants(item.rrule, item.starts_on, item.at, _start(item), now - timedelta(days=1))
        for moment in past:
            occurrence = Occurrence(
                item=item,
                client=client,
                business_unit_id=client.business_unit_id,
                assignee_id=manager,
                channel=item.channel,
                revision=item.revision,
                scheduled_for=moment,
                reminded_at=moment - timedelta(hours=item.kind.remind_hours),
            )
            occurrence.place(moment, item.kind)
            share = _share(diligence.get(manager or 0, 0.9), moment, now)
            touchpoint = _outcome(occurrence, share, rng, manager)
            rows.append(occurrence)
            if touchpoint is not None:
                contacts.append(touchpoint)
                occurrence.touchpoint = touchpoint
    # The touchpoints first: their ids come back from the insert, and the occurrences
    # that met them take those ids as they are written.
    Touchpoint.objects.bulk_create(contacts, batch_size=BATCH)
    Occurrence.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows), len(contacts)


def _start(item: PlanItem) -> datetime:
    return timezone.make_aware(datetime.combine(item.starts_on, item.at)) - timedelta(seconds=1)


def _share(diligence: float, moment: datetime, now: datetime) -> float:
    """Everyone kept the plan until the slippers' last months."""
    if diligence >= 0.5 or (now - moment).days > SLIPPING_DAYS:
        return max(diligence, 0.85)
    return diligence


def _outcome(
    occurrence: Occurrence, share: float, rng: random.Random, by: int | None
) -> Touchpoint | None:
    """Settle a past occurrence: on time, late, skipped or missed; the touchpoint if any."""
    draw = rng.random()
    if draw < 0.02:
        occurrence.skip()
        occurrence.skip_reason, occurrence.settled_at = "Client away", occurrence.due_at
        return None
    if draw < share:
        at = occurrence.due_at + timedelta(hours=rng.uniform(-20, 30))
        occurrence.outcome = Outcome.ON_TIME
    elif draw < share + (1 - share) / 2:
        at = occurrence.window_end + timedelta(hours=rng.uniform(2, 100))
        occurrence.outcome = Outcome.LATE
    else:
        occurrence.miss()
        occurrence.settled_at = occurrence.late_until
        return None
    # The declared transitions, on a row not yet written: the past as it went.
    occurrence.complete()
    occurrence.settled_at, occurrence.settled_by_id = at, by
    channel = occurrence.channel
    return Touchpoint(
        client_id=occurrence.client_id,
        channel=channel,
        at=at,
        by_id=by,
        source=Source.MESSAGE if channel == ContactChannel.EMAIL else Source.LOGGED,
        summary=_summary(channel),
    )


def _summary(channel: str) -> str:
    return {
        ContactChannel.EMAIL: "Weekly update sent",
        ContactChannel.CALL: "Call about results and next steps",
        ContactChannel.MEETING: "Review meeting",
    }[ContactChannel(channel)]
