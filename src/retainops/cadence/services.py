"""Operations on contact plans, touchpoints and occurrences.

Each is keyword-only, one transaction, with the permission checked inside: editing
plans and logging touchpoints need `cadence.plan` in the client's unit; handing an
occurrence to someone else needs `tasks.supervise`. An edit of a plan item rewrites
its future occurrences only: those already due, done, skipped or moved stay.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from retainops.cadence import events
from retainops.cadence.choices import ContactChannel, ItemState, OccurrenceState, Outcome
from retainops.cadence.choices import TouchpointSource as Source
from retainops.cadence.models import (
    ContactKind,
    Occurrence,
    PlanItem,
    PlanTemplate,
    PlanTemplateItem,
    Touchpoint,
)
from retainops.cadence.recurrence import check_rule, instants
from retainops.clients.models import Client, ClientTeamMember, Contact
from retainops.clients.queries import with_mrr
from retainops.core.access import require_capability, require_unit_access
from retainops.core.capabilities import Capability
from retainops.core.errors import Problems, invalid
from retainops.core.events import ConfigurationChanged, emit
from retainops.core.models import User
from retainops.core.transitions import move
from retainops.messaging.models import Meeting
from retainops.messaging.services import book_meeting, call_off_meeting, reschedule_meeting
from retainops.playbooks import services as playbook_services
from retainops.playbooks.models import Task

DIARY_MINUTES = 30
EDITABLE_FIELDS = ("kind", "owner_role", "owner_user", "rrule", "channel", "starts_on", "at")


def horizon(now: datetime) -> datetime:
    """How far ahead occurrences are written."""
    return now + timedelta(days=settings.CADENCE_HORIZON_DAYS)


def _require_planner(by: Any, client: Client) -> None:
    require_capability(by, Capability.PLAN_CONTACTS)
    require_unit_access(by, client.business_unit_id)


# Owners and the diary ------------------------------------------------------------------


def owner_of(item: PlanItem) -> User | None:
    """The person an item's occurrences go to now: the named one, else the role's holder."""
    if item.owner_user_id:
        return item.owner_user
    member = (
        ClientTeamMember.objects.select_related("user")
        .filter(client_id=item.client_id, role__code=item.owner_role)
        .first()
    )
    return member.user if member else None


def _next_instant(item: PlanItem, now: datetime) -> datetime | None:
    found = instants(item.rrule, item.starts_on, item.at, now, now + timedelta(days=400))
    return found[0] if found else None


def _diary_title(item: PlanItem) -> str:
    return f"{item.kind.label}: {item.client.name}"


def _book_diary(item: PlanItem, now: datetime) -> None:
    """Send the owner one invitation for the item: a recurring VEVENT with its rule, from
    the next instant on (none when nobody holds the role or there is no next instant)."""
    owner = owner_of(item)
    first = _next_instant(item, now)
    if owner is None or not owner.email or first is None:
        item.meeting = None
        return
    ends = first + timedelta(minutes=DIARY_MINUTES)
    if item.meeting_id and item.meeting and item.meeting.state == "scheduled":
        item.meeting = reschedule_meeting(
            meeting=item.meeting, by=owner, starts_at=first, ends_at=ends, recurrence=item.rrule
        )
        return
    item.meeting = book_meeting(
        organizer=owner,
        client=item.client,
        title=_diary_title(item),
        starts_at=first,
        ends_at=ends,
        attendees=[f"user:{owner.username}"],
        description=f"Planned contact ({item.get_channel_display()}) from the contact plan.",
        recurrence=item.rrule,
    )


def _call_off_diary(item: PlanItem, by: Any) -> None:
    if item.meeting_id is None:
        return
    meeting = Meeting.objects.filter(pk=item.meeting_id, state="scheduled").first()
    if meeting is not None:
        call_off_meeting(meeting=meeting, by=by if getattr(by, "pk", None) else meeting.organizer)


# Occurrences -----------------------------------------------------------------------------


def write_occurrences(item: PlanItem, *, now: datetime, until: datetime | None = None) -> int:
    """Write the item's occurrences from where they stop (or now) up to `until`; the ones
    already there stay. Touchpoints already in a new occurrence's window meet it."""
    until = until or horizon(now)
    start = max(item.written_until or now, now)
    if item.state != ItemState.ACTIVE or start >= until:
        return 0
    owner = owner_of(item)
    kind = item.kind
    rows = []
    for moment in instants(item.rrule, item.starts_on, item.at, start, until):
        occurrence = Occurrence(
            item=item,
            client_id=item.client_id,
            business_unit_id=item.client.business_unit_id,
            assignee=owner,
            channel=item.channel,
            revision=item.revision,
            scheduled_for=moment,
        )
        occurrence.place(moment, kind)
        rows.append(occurrence)
    Occurrence.objects.bulk_create(rows, ignore_conflicts=True)
    PlanItem.objects.filter(pk=item.pk).update(written_until=until)
    item.written_until = until
    _meet_with_earlier_touchpoints(item, now)
    return len(rows)


def _meet_with_earlier_touchpoints(item: PlanItem, now: datetime) -> None:
    opened = Occurrence.objects.filter(
        item=item, state=OccurrenceState.PLANNED, window_start__lte=now
    )
    for occurrence in opened:
        touchpoint = (
            Touchpoint.objects.filter(
                client_id=item.client_id,
                channel=occurrence.channel,
                at__gte=occurrence.window_start,
                at__lte=min(now, occurrence.late_until),
            )
            .order_by("at")
            .first()
        )
        if touchpoint is not None:
            _meet(occurrence, touchpoint)


def _clear_future(item: PlanItem, now: datetime) -> None:
    """Drop the planned occurrences not yet due, so the next write follows the new rule."""
    Occurrence.objects.filter(item=item, state=OccurrenceState.PLANNED, due_at__gt=now).delete()
    item.written_until = now
    PlanItem.objects.filter(pk=item.pk).update(written_until=now)


def _meet(occurrence: Occurrence, touchpoint: Touchpoint) -> bool:
    outcome = Outcome.ON_TIME if touchpoint.at <= occurrence.window_end else Outcome.LATE
    met = move(
        occurrence,
        "complete",
        outcome=outcome,
        touchpoint=touchpoint,
        settled_at=touchpoint.at,
        settled_by=touchpoint.by,
    )
    if met:
        emit(events.OccurrenceSettled(occurrence=occurrence, by=touchpoint.by))
    return met


# Plan items ------------------------------------------------------------------------------


def _checked_item(item: PlanItem, problems: Problems) -> None:
    try:
        item.rrule = check_rule(item.rrule)
    except ValidationError as error:
        problems.absorb(error)
    if not item.channel and item.kind_id:
        item.channel = item.kind.channel
    if item.owner_user_id is None and not item.owner_role:
        problems.add("owner_role", "Name a role on the client's team or a person as the owner.")
    if item.owner_role and not item.owner_user_id:
        from retainops.core.models import Role

        if not Role.objects.filter(code=item.owner_role).exists():
            problems.add("owner_role", f"No role has the code {item.owner_role!r}.")
    problems.check(item, exclude=("rrule", "owner_role"))
    problems.raise_if_any()


@transaction.atomic
def add_plan_item(
    *,
    by: Any,
    client: Client,
    kind: ContactKind,
    rrule: str,
    starts_on: date,
    channel: str = "",
    owner_role: str = "",
    owner_user: User | None = None,
    at: time | None = None,
    template: PlanTemplate | None = None,
) -> PlanItem:
    """Add a planned communication to the client's plan; its occurrences are written up
    to the horizon and the owner is sent the diary invitation."""
    _require_planner(by, client)
    item = PlanItem(
        client=client,
        kind=kind,
        rrule=rrule,
        starts_on=starts_on,
        channel=channel,
        owner_role=owner_role,
        owner_user=owner_user,
        at=at or time(10, 0),
        template=template,
    )
    _checked_item(item, Problems())
    if client.status in ("paused",):
        item.pause()
        item.paused_by_client = True
    if client.status == "cancelled":
        raise invalid("client", "A cancelled client has no contact plan.")
    item.save()
    now = timezone.now()
    if item.state == ItemState.ACTIVE:
        _book_diary(item, now)
        item.save(update_fields=["meeting"])
        write_occurrences(item, now=now)
    emit(events.PlanItemChanged(item=item, change="added", by=by))
    return item


@transaction.atomic
def update_plan_item(*, by: Any, item: PlanItem, changes: dict[str, Any]) -> PlanItem:
    """Change an item: its future occurrences follow the new rule, its past stays."""
    item = PlanItem.objects.select_for_update().select_related("client", "kind").get(pk=item.pk)
    _require_planner(by, item.client)
    if item.state == ItemState.ENDED:
        raise invalid("state", "An ended plan item cannot be changed.")
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    for name, value in changes.items():
        setattr(item, name, value)
    if "owner_user" in changes and changes["owner_user"] is not None:
        item.owner_role = changes.get("owner_role", "")
    _checked_item(item, Problems())
    item.revision += 1
    item.save()
    now = timezone.now()
    _clear_future(item, now)
    if item.state == ItemState.ACTIVE:
        _book_diary(item, now)
        item.save(update_fields=["meeting"])
        write_occurrences(item, now=now)
    emit(events.PlanItemChanged(item=item, change="updated", by=by))
    return item


def _set_state(item: PlanItem, transition: str, by: Any, *, by_client: bool = False) -> PlanItem:
    now = timezone.now()
    getattr(item, transition)()
    item.paused_by_client = by_client and transition == "pause"
    item.save()
    if transition in ("pause", "end"):
        _clear_future(item, now)
        _call_off_diary(item, by)
    else:
        _book_diary(item, now)
        item.save(update_fields=["meeting"])
        write_occurrences(item, now=now)
    emit(events.PlanItemChanged(item=item, change=transition, by=by))
    return item


@transaction.atomic
def change_plan_item_state(*, by: Any, item: PlanItem, transition: str) -> PlanItem:
    """Pause, resume or end an item by hand."""
    if transition not in ("pause", "resume", "end"):
        raise invalid("transition", "Choose pause, resume or end.")
    item = PlanItem.objects.select_for_update().select_related("client", "kind").get(pk=item.pk)
    _require_planner(by, item.client)
    if not can_proceed(getattr(item, transition)):
        raise invalid("transition", f"A plan item that is {item.state} cannot {transition}.")
    return _set_state(item, transition, by)


def follow_client_status(event: Any) -> None:
    """A paused client's plan pauses (and resumes with it); a cancelled client's plan
    ends. Heard in the client's transaction: the plan is paused exactly when the client
    is, and a change that rolls back leaves the plan as it was."""
    client = event.client
    items = PlanItem.objects.select_for_update().select_related("client", "kind")
    if event.status == "paused":
        for item in items.filter(client=client, state=ItemState.ACTIVE):
            _set_state(item, "pause", event.by, by_client=True)
    elif event.status == "cancelled":
        for item in items.filter(client=client).exclude(state=ItemState.ENDED):
            _set_state(item, "end", event.by)
    elif event.transition == "resume":
        for item in items.filter(client=client, state=ItemState.PAUSED, paused_by_client=True):
            _set_state(item, "resume", event.by)


def follow_team_change(event: Any) -> None:
    """Someone new holds a role on the client's team: the open occurrences still to come
    of the items that role owns are theirs now (past ones stay with whoever had them)."""
    Occurrence.objects.filter(
        item__client=event.client,
        item__owner_role=event.role,
        item__owner_user__isnull=True,
        state__in=[OccurrenceState.PLANNED, OccurrenceState.MOVED],
        due_at__gt=timezone.now(),
    ).update(assignee=event.user)


# Templates -------------------------------------------------------------------------------


def template_for(client: Client) -> PlanTemplate | None:
    """The template that fits the client: one of its active service lines, or its tier
    (monthly spend), highest priority first; a template naming neither fits everyone."""
    services = set(
        client.contracts.filter(status="active").values_list("lines__service_id", flat=True)
    )
    row = with_mrr(Client.objects.filter(pk=client.pk)).first()
    spend = getattr(row, "mrr", 0) or 0
    for template in PlanTemplate.objects.filter(is_active=True):
        if template.service_line_id and template.service_line_id not in services:
            continue
        if template.min_monthly_budget is not None and spend < template.min_monthly_budget:
            continue
        return template
    return None


@transaction.atomic
def apply_template(
    *, by: Any, client: Client, template: PlanTemplate | None = None, starts_on: date | None = None
) -> list[PlanItem]:
    """Give the client the items of a template (the fitting one when none is named)."""
    _require_planner(by, client)
    template = template or template_for(client)
    if template is None:
        raise invalid("template", "No plan template fits this client; choose one.")
    start = starts_on or timezone.localdate()
    return [
        add_plan_item(
            by=by,
            client=client,
            kind=entry.kind,
            rrule=entry.rrule,
            starts_on=start,
            channel=entry.channel,
            owner_role=entry.owner_role,
            at=entry.at,
            template=template,
        )
        for entry in template.items.select_related("kind")
    ]


@transaction.atomic
def save_template(
    *, by: Any, name: str, items: list[dict[str, Any]], **fields: Any
) -> PlanTemplate:
    """Record a plan template with its items (every bad item named as items[i].field)."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    problems = Problems()
    template = PlanTemplate(name=name, **fields)
    problems.check(template)
    entries = []
    for index, data in enumerate(items):
        entry = PlanTemplateItem(**data)
        try:
            entry.rrule = check_rule(entry.rrule)
        except ValidationError as error:
            problems.absorb(error, f"items[{index}]")
        problems.check(entry, f"items[{index}]", exclude=("template", "rrule"))
        entries.append(entry)
    if not entries:
        problems.add("items", "A template needs at least one item.")
    problems.raise_if_any()
    template.save()
    for entry in entries:
        entry.template = template
        entry.save()
    emit(ConfigurationChanged(entry=template, change="saved", by=by))
    return template


@transaction.atomic
def save_kind(*, by: Any, data: dict[str, Any], kind: ContactKind | None = None) -> ContactKind:
    """Add or change a kind of planned contact (administrators)."""
    require_capability(by, Capability.MANAGE_CATALOGUE)
    kind = kind or ContactKind()
    for name, value in data.items():
        setattr(kind, name, value)
    kind.full_clean()
    kind.save()
    emit(ConfigurationChanged(entry=kind, change="saved", by=by))
    return kind


# Touchpoints -----------------------------------------------------------------------------


def _record(touchpoint: Touchpoint, contacts: list[Contact]) -> Touchpoint:
    touchpoint.save()
    if contacts:
        touchpoint.contacts.set(contacts)
    met = 0
    open_by_item: dict[int, Occurrence] = {}
    candidates = Occurrence.objects.filter(
        client_id=touchpoint.client_id,
        channel=touchpoint.channel,
        state__in=[OccurrenceState.PLANNED, OccurrenceState.MOVED],
        window_start__lte=touchpoint.at,
        late_until__gte=touchpoint.at,
    ).order_by("due_at", "id")
    for occurrence in candidates:
        open_by_item.setdefault(occurrence.item_id, occurrence)
    for occurrence in open_by_item.values():
        met += _meet(occurrence, touchpoint)
    emit(events.TouchpointRecorded(touchpoint=touchpoint, met=met, by=touchpoint.by))
    return touchpoint


@transaction.atomic
def log_touchpoint(
    *,
    by: Any,
    client: Client,
    channel: str,
    at: datetime | None = None,
    summary: str = "",
    notes: str = "",
    contact_ids: list[int] | None = None,
    source: str = Source.LOGGED,
) -> Touchpoint:
    """Record a contact made outside RetainOps (a call, a meeting, an e-mail); it meets
    the planned occurrences of its channel whose window holds it."""
    _require_planner(by, client)
    now = timezone.now()
    problems = Problems()
    if channel not in ContactChannel.values:
        problems.add("channel", f"Choose one of: {', '.join(ContactChannel.values)}.")
    if at is not None and at > now + timedelta(minutes=5):
        problems.add("at", "A touchpoint cannot be in the future.")
    contacts = list(Contact.objects.filter(client=client, pk__in=contact_ids or []))
    missing = sorted(set(contact_ids or []) - {c.pk for c in contacts})
    if missing:
        problems.add("contacts", f"Not contacts of {client}: {missing}.")
    if not summary.strip() and not notes.strip():
        problems.add("notes", "Say what the contact was about.")
    problems.raise_if_any()
    touchpoint = Touchpoint(
        client=client,
        channel=channel,
        at=at or now,
        by=by,
        source=source,
        summary=summary.strip()[:300],
        notes=notes,
    )
    return _record(touchpoint, contacts)


def record_message_touchpoint(event: Any) -> Touchpoint | None:
    """A message RetainOps delivered to the client's contacts is an e-mail touchpoint.

    Heard after the delivery commits: a touchpoint that fails to record never undoes or
    repeats a delivery; the message's one-to-one link keeps a repeat from counting twice.
    Meeting invitations are not contacts in themselves (the meeting is, when held)."""
    message = event.message
    if message.client_id is None or message.cause.startswith("meeting "):
        return None
    addresses = {r.address.lower() for r in message.recipients.all()}
    contacts = [
        c
        for c in Contact.objects.filter(client_id=message.client_id)
        if c.email.lower() in addresses
    ]
    if not contacts:
        return None
    with transaction.atomic():
        if Touchpoint.objects.filter(message=message).exists():
            return None
        touchpoint = Touchpoint(
            client_id=message.client_id,
            channel=ContactChannel.EMAIL,
            at=message.sent_at or timezone.now(),
            by=message.created_by,
            source=Source.MESSAGE,
            summary=message.subject[:300],
            message=message,
        )
        return _record(touchpoint, contacts)


# Settling occurrences --------------------------------------------------------------------


def _open_occurrence(occurrence: Occurrence, by: Any) -> Occurrence:
    occurrence = Occurrence.objects.select_related("client", "item__kind").get(pk=occurrence.pk)
    _require_planner(by, occurrence.client)
    if not occurrence.is_open:
        raise invalid("state", f"This occurrence is already {occurrence.get_state_display()}.")
    return occurrence


def _settle(occurrence: Occurrence, transition: str, by: Any, **fields: Any) -> Occurrence:
    if not move(occurrence, transition, **fields):
        raise invalid("state", "Someone settled this occurrence first.")
    emit(events.OccurrenceSettled(occurrence=occurrence, by=by))
    return occurrence


@transaction.atomic
def complete_occurrence(*, by: Any, occurrence: Occurrence, notes: str = "") -> Occurrence:
    """Mark a planned contact done by hand, with notes; late when after its window."""
    occurrence = _open_occurrence(occurrence, by)
    now = timezone.now()
    outcome = Outcome.ON_TIME if now <= occurrence.window_end else Outcome.LATE
    # The contact made is a touchpoint like any other (days since the last touch count it).
    touchpoint = Touchpoint.objects.create(
        client=occurrence.client,
        channel=occurrence.channel,
        at=now,
        by=by,
        source=Source.LOGGED,
        summary=occurrence.item.kind.label,
        notes=notes,
    )
    _settle(
        occurrence,
        "complete",
        by,
        outcome=outcome,
        notes=notes,
        settled_at=now,
        settled_by=by,
        touchpoint=touchpoint,
    )
    emit(events.TouchpointRecorded(touchpoint=touchpoint, met=1, by=by))
    return occurrence


@transaction.atomic
def skip_occurrence(*, by: Any, occurrence: Occurrence, reason: str) -> Occurrence:
    """Not needed this time; the reason is kept."""
    if not reason.strip():
        raise invalid("reason", "Say why this contact is skipped.")
    occurrence = _open_occurrence(occurrence, by)
    return _settle(
        occurrence,
        "skip",
        by,
        skip_reason=reason.strip(),
        settled_at=timezone.now(),
        settled_by=by,
    )


@transaction.atomic
def move_occurrence(*, by: Any, occurrence: Occurrence, due_at: datetime) -> Occurrence:
    """Due at another time: its window, deadline and reminder move with it."""
    occurrence = _open_occurrence(occurrence, by)
    if due_at <= timezone.now():
        raise invalid("due_at", "Move it to a time still to come.")
    occurrence.place(due_at, occurrence.item.kind)
    return _settle(
        occurrence,
        "reschedule",
        by,
        due_at=occurrence.due_at,
        window_start=occurrence.window_start,
        window_end=occurrence.window_end,
        late_until=occurrence.late_until,
        remind_at=occurrence.remind_at,
        reminded_at=None,
    )


@transaction.atomic
def reassign_occurrence(*, by: Any, occurrence: Occurrence, to: User) -> Occurrence:
    """Hand one planned contact to someone else of the client's unit (team leads)."""
    require_capability(by, Capability.SUPERVISE_TASKS)
    occurrence = _open_occurrence_for_supervisor(occurrence, by)
    if not to.is_active or not (
        to.has_capability(Capability.SEE_ALL_UNITS) or occurrence.business_unit_id in to.unit_ids()
    ):
        raise invalid("to", f"{to} does not work in the client's business unit.")
    updated = Occurrence.objects.filter(
        pk=occurrence.pk, state__in=[OccurrenceState.PLANNED, OccurrenceState.MOVED]
    ).update(assignee=to)
    if not updated:
        raise invalid("state", "This occurrence is no longer open.")
    occurrence.assignee = to
    return occurrence


def _open_occurrence_for_supervisor(occurrence: Occurrence, by: Any) -> Occurrence:
    occurrence = Occurrence.objects.select_related("client").get(pk=occurrence.pk)
    require_unit_access(by, occurrence.business_unit_id)
    if not occurrence.is_open:
        raise invalid("state", f"This occurrence is already {occurrence.get_state_display()}.")
    return occurrence


# The workload ahead ----------------------------------------------------------------------


def reassign_work(*, by: Any, kind: str, pk: int, to: User) -> None:
    """Hand a piece of someone's workload to another person, through the service that
    owns it: a planned contact here, an open task through the engine's door. What the
    person asking cannot see is not found."""
    from retainops.clients.queries import visible_clients

    visible = visible_clients(by)
    if kind == "occurrence":
        occurrence = Occurrence.objects.filter(client__in=visible).get(pk=pk)
        reassign_occurrence(by=by, occurrence=occurrence, to=to)
    elif kind == "task":
        task = Task.objects.filter(client__in=visible).get(pk=pk)
        playbook_services.reassign_task(by=by, task=task, to=to)
    else:
        raise invalid("kind", "Choose a task or a planned contact (occurrence) to reassign.")
