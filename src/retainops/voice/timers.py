"""The worker's share of voice: survey reminders, missed detractor follow-ups, and
feedback action items' reminders and escalations, each a timer pair on its row fired
once (core/timer_rows.py: the effect's message and the fired mark in one transaction,
so a worker dying mid-batch leaves the batch to the next pass and nothing is sent twice).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from retainops.core.choices import RoleCode
from retainops.core.due_work import DueWorkSource
from retainops.core.events import emit
from retainops.core.models import User
from retainops.core.timer_rows import claimable
from retainops.messaging.services import Outgoing, queue_message
from retainops.voice import events
from retainops.voice.models import ActionItem, FollowUp, SurveyInvitation
from retainops.voice.services import remind_invitation

log = logging.getLogger(__name__)
# After the timers, before the outbox, so what a timer queues leaves in the same pass.
ORDER = 18
BATCH = 100


@dataclass
class VoiceReport:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return sum(self.counts.values())


def _pass(due: Any, column: str, fire: Any, now: datetime) -> int:
    """Fire up to a batch of `due`, setting `column` on each in the same transaction."""
    done = 0
    with transaction.atomic():
        for row in list(claimable(due)[:BATCH]):
            marked = type(row)._default_manager.filter(pk=row.pk, **{f"{column}__isnull": True})
            if marked.update(**{column: now}):
                _fire_safely(fire, row)
                done += 1
    return done


def _fire_safely(fire: Any, row: Any) -> None:
    # One bad row must not hold up the rest: its effect rolls back to its savepoint and
    # it stays marked fired. A dying worker (SystemExit, a killed process) is no
    # Exception, so the whole batch rolls back and the next pass fires it once.
    try:
        with transaction.atomic():
            fire(row)
    except Exception:
        log.exception("%s %s failed", type(row).__name__, row.pk)


def _to(users: list[User]) -> list[str]:
    return [f"user:{u.username}" for u in users if u.email]


def _escalate_follow_up(follow_up: FollowUp) -> None:
    leads = list(
        User.objects.filter(
            is_active=True,
            roles__code=RoleCode.TEAM_LEAD,
            business_units=follow_up.client.business_unit_id,
        ).distinct()
    )
    to = _to(leads) or _to([follow_up.owner])
    if to:
        queue_message(
            outgoing=Outgoing(
                subject=f"Detractor at {follow_up.client.name} not called back",
                body_text=(
                    f"{follow_up.owner} has not yet followed up a detractor at "
                    f"{follow_up.client.name}; it was due {follow_up.due_at:%d %B %H:%M}."
                ),
                to=to,
            ),
            client=follow_up.client,
            cause=f"follow-up escalation {follow_up.pk}",
        )


def _action_mail(action: ActionItem, *, escalate: bool) -> None:
    people = [action.series.owner, action.owner] if escalate else [action.owner]
    to = _to(people)
    if not to:
        return
    verb = "was due" if escalate else "is due"
    queue_message(
        outgoing=Outgoing(
            subject=("Missed: " if escalate else "Reminder: ") + action.title,
            body_text=f"{action.title} ({action.series.title}) {verb} on {action.due_date:%d %B}. "
            f"Owner: {action.owner}.",
            to=to,
        ),
        client=action.series.client,
        cause=f"feedback action {'escalation' if escalate else 'reminder'} {action.pk}",
    )
    emit(events.ActionItemChanged(action=action, change="escalated" if escalate else "reminded"))


def sweep(*, now: datetime, worker: str = "") -> VoiceReport:
    report = VoiceReport()
    invitations = (
        SurveyInvitation.objects.reminder_due(now)
        .select_related("survey__client", "survey__version__definition")
        .order_by("reminder_due_at", "id")
    )
    report.counts["reminders"] = _pass(invitations, "reminder_fired_at", remind_invitation, now)
    follow_ups = FollowUp.objects.filter(
        state="open", escalated_at__isnull=True, due_at__lte=now
    ).select_related("client", "owner")
    report.counts["follow-ups"] = _pass(follow_ups, "escalated_at", _escalate_follow_up, now)
    items = ActionItem.objects.filter(state="open").select_related("series__client", "owner")
    reminders = items.filter(reminded_at__isnull=True, remind_at__lte=now)
    report.counts["action reminders"] = _pass(
        reminders, "reminded_at", lambda a: _action_mail(a, escalate=False), now
    )
    escalations = items.filter(escalated_at__isnull=True, escalate_at__lte=now)
    report.counts["action escalations"] = _pass(
        escalations, "escalated_at", lambda a: _action_mail(a, escalate=True), now
    )
    return report


def drain(*, now: datetime, worker: str = "") -> VoiceReport:
    total = VoiceReport()
    while (report := sweep(now=now, worker=worker)).handled:
        for key, value in report.counts.items():
            total.counts[key] = total.counts.get(key, 0) + value
    return total


def describe(report: VoiceReport) -> str | None:
    if not report.handled:
        return None
    return "voice: " + ", ".join(f"{v} {k}" for k, v in report.counts.items() if v)


SOURCE = DueWorkSource(name="voice", order=ORDER, sweep=sweep, drain=drain, describe=describe)
