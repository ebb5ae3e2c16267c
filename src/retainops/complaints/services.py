"""Operations on complaints: raise, acknowledge, start, wait on the client, resume,
resolve (with a root cause and improvement actions), close, reopen, reassign; and on
improvement actions. Each is keyword-only, one transaction, checks the person's
capability and unit inside, writes a line of the complaint's activity, reschedules its
clock timers and emits its event.

Status moves go through the compare-and-set of core/transitions.py: of two people
acknowledging the same complaint at once, one records the first response and the other
is told it was already given, so a complaint has one first response.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from retainops.clients.models import Client, ClientTeamMember, Contact
from retainops.complaints import events
from retainops.complaints.choices import ComplaintChannel, ComplaintStatus, Severity
from retainops.complaints.clocks import schedule_timers
from retainops.complaints.models import (
    ClockPause,
    Complaint,
    ComplaintActivity,
    ComplaintCategory,
    ImprovementAction,
    RootCause,
    ServiceLevelPolicy,
)
from retainops.core.access import require_capability, require_unit_access
from retainops.core.capabilities import Capability
from retainops.core.choices import RoleCode
from retainops.core.errors import Problems, invalid
from retainops.core.events import emit
from retainops.core.models import User
from retainops.core.transitions import move

S = ComplaintStatus
WAITING = "waiting on the client"
REOPENED = "resolved until reopened"


@dataclass
class ActionPlan:
    """An improvement action to spawn when resolving."""

    title: str
    owner: User
    due_date: date


def require_handler(by: Any, complaint_or_client: Complaint | Client) -> None:
    """Refuse unless `by` handles complaints in the client's unit."""
    require_capability(by, Capability.HANDLE_COMPLAINTS)
    if isinstance(complaint_or_client, Complaint):
        client = complaint_or_client.client
    else:
        client = complaint_or_client
    require_unit_access(by, client.business_unit_id)


def policy_for(unit_id: int, severity: str) -> ServiceLevelPolicy | None:
    """The unit's own policy for the severity, or the default one for every unit."""
    policies = ServiceLevelPolicy.objects.filter(severity=severity)
    return (
        policies.filter(business_unit_id=unit_id).first()
        or policies.filter(business_unit__isnull=True).first()
    )


def account_manager_of(client: Client) -> User | None:
    member = (
        ClientTeamMember.objects.filter(client=client, role__code=RoleCode.ACCOUNT_MANAGER)
        .select_related("user")
        .first()
    )
    return member.user if member else None


def _log(complaint: Complaint, by: Any, what: str, note: str = "") -> None:
    ComplaintActivity.objects.create(
        complaint=complaint,
        by=by if getattr(by, "pk", None) else None,
        what=what[:300],
        note=note.strip(),
    )


def _check_raise(
    problems: Problems,
    *,
    client: Client,
    contact: Contact | None,
    channel: str,
    severity: str,
    category: ComplaintCategory | None,
    owner: User | None,
) -> ServiceLevelPolicy | None:
    if channel not in ComplaintChannel.values:
        problems.add("channel", "Choose phone, e-mail, portal, meeting or survey.")
    if severity not in Severity.values:
        problems.add("severity", "Choose low, medium, high or critical.")
    if category is None or not category.is_active:
        problems.add("category", "Choose a category in use.")
    if contact is not None and contact.client_id != client.pk:
        problems.add("contact", "That contact is not one of the client's.")
    if owner is not None and not _works_on(owner, client):
        problems.add("owner", f"{owner} does not handle complaints in {client.business_unit}.")
    policy = policy_for(client.business_unit_id, severity) if severity in Severity.values else None
    if severity in Severity.values and policy is None:
        problems.add("severity", "No service level is set for this severity in the unit.")
    return policy


def _works_on(person: User, client: Client) -> bool:
    if not person.is_active or not person.has_capability(Capability.HANDLE_COMPLAINTS):
        return False
    return person.has_capability(Capability.SEE_ALL_UNITS) or (
        client.business_unit_id in person.unit_ids()
    )


@transaction.atomic
def raise_complaint(
    *,
    by: Any,
    client: Client,
    channel: str,
    severity: str,
    category: ComplaintCategory | None,
    summary: str,
    description: str,
    contact: Contact | None = None,
    owner: User | None = None,
) -> Complaint:
    """Log a client's complaint and start its clocks. The owner defaults to the client's
    account manager, else the person logging it."""
    require_handler(by, client)
    problems = Problems()
    policy = _check_raise(
        problems,
        client=client,
        contact=contact,
        channel=channel,
        severity=severity,
        category=category,
        owner=owner,
    )
    complaint = Complaint(
        client=client,
        contact=contact,
        channel=channel,
        severity=severity,
        category=category,
        summary=summary.strip(),
        description=description.strip(),
        owner=owner or account_manager_of(client) or by,
        raised_by=by,
        raised_at=timezone.now(),
        response_target_minutes=policy.first_response_minutes if policy else 1,
        resolution_target_minutes=policy.resolution_minutes if policy else 1,
        warn_at_percent=policy.warn_at_percent if policy else 75,
        second_level_percent=policy.second_level_percent if policy else 150,
    )
    problems.check(complaint)
    problems.raise_if_any()
    complaint.save()
    _log(
        complaint,
        by,
        f"raised by {complaint.get_channel_display().lower()}, owned by {complaint.owner}",
    )
    schedule_timers(complaint, complaint.raised_at)
    emit(events.ComplaintRaised(complaint=complaint, by=by))
    return complaint


def _portal_owner(client: Client) -> User | None:
    """Who owns what a client raises itself: its account manager, else someone who
    handles complaints in its unit."""
    manager = account_manager_of(client)
    if manager is not None and _works_on(manager, client):
        return manager
    people = User.objects.filter(is_active=True, business_units=client.business_unit_id)
    return next((p for p in people.order_by("pk") if _works_on(p, client)), None)


@transaction.atomic
def raise_complaint_from_portal(
    *,
    client: Client,
    contact_name: str,
    severity: str,
    category: ComplaintCategory | None,
    summary: str,
    description: str,
) -> Complaint:
    """A client contact raises a complaint through its portal link (the caller resolved
    the link to this client): channel portal, raised by no staff member, owned by the
    account manager, clocks started as for any other."""
    problems = Problems()
    if not contact_name.strip():
        problems.add("contact_name", "Tell us your name, so we know whom to answer.")
    policy = _check_raise(
        problems,
        client=client,
        contact=None,
        channel=ComplaintChannel.PORTAL,
        severity=severity,
        category=category,
        owner=None,
    )
    owner = _portal_owner(client)
    if owner is None:
        problems.add("__all__", "Nobody can take this here yet: please call your account team.")
    complaint = Complaint(
        client=client,
        channel=ComplaintChannel.PORTAL,
        severity=severity,
        category=category,
        summary=summary.strip(),
        description=description.strip(),
        owner=owner,
        raised_by=None,
        raised_at=timezone.now(),
        response_target_minutes=policy.first_response_minutes if policy else 1,
        resolution_target_minutes=policy.resolution_minutes if policy else 1,
        warn_at_percent=policy.warn_at_percent if policy else 75,
        second_level_percent=policy.second_level_percent if policy else 150,
    )
    problems.check(complaint, exclude=("owner",))
    problems.raise_if_any()
    complaint.save()
    _log(complaint, None, f"raised through the client portal by {contact_name.strip()}")
    schedule_timers(complaint, complaint.raised_at)
    emit(events.ComplaintRaised(complaint=complaint, by=None))
    return complaint


def _refused_move(complaint: Complaint, name: str) -> Exception:
    # The instance may be stale (another person moved the row first): read where it is.
    status = Complaint.objects.filter(pk=complaint.pk).values_list("status", flat=True).get()
    if name == "acknowledge" and status != S.NEW:
        return invalid("status", "The complaint was already acknowledged.")
    if name == "reopen" and status in (S.RESOLVED, S.CLOSED):
        return invalid("status", "The reopening window of this complaint has passed.")
    verb = name.replace("_", " ")
    return invalid("status", f"A complaint {S(status).label.lower()} cannot {verb}.")


def _move(complaint: Complaint, name: str, *, by: Any, **fields: Any) -> None:
    """Move the complaint by compare-and-set, or refuse naming where it stands."""
    if not move(complaint, name, by=by, **fields):
        raise _refused_move(complaint, name)


def _after_move(complaint: Complaint, by: Any, name: str, what: str, note: str = "") -> None:
    _log(complaint, by, what, note)
    schedule_timers(complaint, timezone.now())
    emit(
        events.ComplaintStatusChanged(
            complaint=complaint, by=by, transition=name, status=complaint.status
        )
    )


@transaction.atomic
def acknowledge_complaint(*, complaint: Complaint, by: Any, note: str = "") -> Complaint:
    """The first response: stops the first-response clock (once, whoever is first)."""
    require_handler(by, complaint)
    now = timezone.now()
    _move(complaint, "acknowledge", by=by, acknowledged_at=now, acknowledged_by=by)
    _after_move(complaint, by, "acknowledge", "acknowledged: first response given", note)
    emit(events.ComplaintAcknowledged(complaint=complaint, by=by))
    return complaint


@transaction.atomic
def start_work(*, complaint: Complaint, by: Any, note: str = "") -> Complaint:
    require_handler(by, complaint)
    _move(complaint, "start_work", by=by)
    _after_move(complaint, by, "start_work", "work started", note)
    return complaint


@transaction.atomic
def wait_on_client(*, complaint: Complaint, by: Any, note: str = "") -> Complaint:
    """The next move is the client's: the resolution clock stands still until resumed."""
    require_handler(by, complaint)
    _move(complaint, "wait_on_client", by=by)
    ClockPause.objects.create(complaint=complaint, started_at=timezone.now(), reason=WAITING)
    _forget_pauses(complaint)
    _after_move(complaint, by, "wait_on_client", "waiting on the client: clock paused", note)
    return complaint


def _end_open_pause(complaint: Complaint) -> None:
    ClockPause.objects.filter(complaint=complaint, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    _forget_pauses(complaint)


def _forget_pauses(complaint: Complaint) -> None:
    # A complaint fetched with its pauses (a list, a page) must read them again.
    getattr(complaint, "_prefetched_objects_cache", {}).pop("pauses", None)


@transaction.atomic
def resume_work(*, complaint: Complaint, by: Any, note: str = "") -> Complaint:
    require_handler(by, complaint)
    _move(complaint, "resume_work", by=by)
    _end_open_pause(complaint)
    _after_move(complaint, by, "resume_work", "the client answered: clock running", note)
    return complaint


def _check_resolution(
    root_cause: RootCause | None, resolution: str, actions: list[ActionPlan], complaint: Complaint
) -> None:
    problems = Problems()
    if root_cause is None or not root_cause.is_active:
        problems.add("root_cause", "A resolution needs its root cause.")
    if not resolution.strip():
        problems.add("resolution", "Say how the complaint was resolved.")
    for index, plan in enumerate(actions):
        _check_action(problems, f"actions[{index}]", plan, complaint)
    problems.raise_if_any()


def _check_action(problems: Problems, prefix: str, plan: ActionPlan, complaint: Complaint) -> None:
    def name(field: str) -> str:
        return f"{prefix}.{field}" if prefix else field

    if not plan.title.strip():
        problems.add(name("title"), "Name the improvement.")
    if not _works_on(plan.owner, complaint.client):
        problems.add(name("owner"), f"{plan.owner} does not work on this client's unit.")
    if plan.due_date < timezone.localdate():
        problems.add(name("due_date"), "The due date has passed.")


@transaction.atomic
def resolve_complaint(
    *,
    complaint: Complaint,
    by: Any,
    root_cause: RootCause | None,
    resolution: str,
    actions: list[ActionPlan] | None = None,
) -> Complaint:
    """Resolved: needs its root cause and how; may spawn improvement actions."""
    require_handler(by, complaint)
    _check_resolution(root_cause, resolution, actions or [], complaint)
    now = timezone.now()
    _move(
        complaint,
        "resolve",
        by=by,
        resolved_at=now,
        root_cause=root_cause,
        resolution=resolution.strip(),
    )
    _end_open_pause(complaint)
    for plan in actions or []:
        _spawn_action(complaint, plan, by)
    _after_move(complaint, by, "resolve", f"resolved: {root_cause}", resolution)
    emit(events.ComplaintResolved(complaint=complaint, by=by))
    return complaint


@transaction.atomic
def close_complaint(*, complaint: Complaint, by: Any, note: str = "") -> Complaint:
    require_handler(by, complaint)
    _move(complaint, "close", by=by, closed_at=timezone.now())
    _after_move(complaint, by, "close", "closed", note)
    return complaint


@transaction.atomic
def reopen_complaint(*, complaint: Complaint, by: Any, reason: str) -> Complaint:
    """The resolution did not hold: back in progress, the clock going on from where it
    stopped (the time it stood resolved is not counted)."""
    require_handler(by, complaint)
    if not reason.strip():
        raise invalid("reason", "Say why the complaint is reopened.")
    resolved_at = complaint.resolved_at
    _move(complaint, "reopen", by=by, resolved_at=None, closed_at=None)
    if resolved_at is not None:
        ClockPause.objects.create(
            complaint=complaint, started_at=resolved_at, ended_at=timezone.now(), reason=REOPENED
        )
        _forget_pauses(complaint)
    _after_move(complaint, by, "reopen", "reopened", reason)
    return complaint


@transaction.atomic
def reassign_complaint(*, complaint: Complaint, by: Any, owner: User) -> Complaint:
    require_handler(by, complaint)
    if not _works_on(owner, complaint.client):
        raise invalid(
            "owner", f"{owner} does not handle complaints in {complaint.client.business_unit}."
        )
    Complaint.objects.filter(pk=complaint.pk).update(owner=owner)
    complaint.owner = owner
    _log(complaint, by, f"now owned by {owner}")
    emit(events.ComplaintReassigned(complaint=complaint, by=by))
    return complaint


def _spawn_action(complaint: Complaint, plan: ActionPlan, by: Any) -> ImprovementAction:
    action = ImprovementAction.objects.create(
        complaint=complaint,
        title=plan.title.strip(),
        owner=plan.owner,
        due_date=plan.due_date,
        created_by=by,
    )
    _log(complaint, by, f"improvement action for {plan.owner}: {action.title}")
    emit(events.ImprovementActionChanged(action=action, change="added", by=by))
    return action


@transaction.atomic
def add_improvement_action(*, complaint: Complaint, by: Any, plan: ActionPlan) -> ImprovementAction:
    """Another improvement a resolved complaint calls for."""
    require_handler(by, complaint)
    if complaint.status not in (S.RESOLVED, S.CLOSED):
        raise invalid("complaint", "Improvement actions follow a resolution.")
    problems = Problems()
    _check_action(problems, "", plan, complaint)
    problems.raise_if_any()
    return _spawn_action(complaint, plan, by)


@transaction.atomic
def complete_improvement_action(*, action: ImprovementAction, by: Any) -> ImprovementAction:
    """Done: by its owner, or by whoever handles the complaint's client."""
    require_handler(by, action.complaint)
    if not move(action, "complete", by=by, done_at=timezone.now(), done_by=by):
        raise invalid("state", "The action is already done.")
    _log(action.complaint, by, f"improvement action done: {action.title}")
    emit(events.ImprovementActionChanged(action=action, change="done", by=by))
    return action


def require_manager(by: Any) -> None:
    if not getattr(by, "is_authenticated", False):
        raise PermissionDenied("Sign in first.")
    require_capability(by, Capability.MANAGE_COMPLAINTS)
