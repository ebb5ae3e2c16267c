"""The readiness warnings: as the drop nears with gates open, its owner and the team
lead of the client are told (a timer row fired once, see core/timer_rows.py)."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from retainops.clients.models import ClientTeamMember
from retainops.core.choices import RoleCode
from retainops.core.due_work import DueWorkSource
from retainops.core.timer_rows import FireReport, fire_due_rows, fire_until_none_due
from retainops.drops.choices import DropState
from retainops.drops.models import ReadinessWarning
from retainops.messaging.services import queue_from_template

TEMPLATE = "drops-gates-open"


def fire(warning: ReadinessWarning) -> str:
    drop = warning.drop
    if drop.state != DropState.PLANNED:
        return f"not sent: the drop is {drop.state}"
    still_open = [g for g in drop.gates.all() if g.is_open]
    if not still_open:
        return "not sent: every gate passed"
    to = [drop.owner.email]
    lead = (
        ClientTeamMember.objects.filter(client=drop.program.client, role__code=RoleCode.TEAM_LEAD)
        .select_related("user")
        .first()
    )
    if lead and lead.user.email:
        to.append(lead.user.email)
    queue_from_template(
        template_code=TEMPLATE,
        to=to,
        client=drop.program.client,
        cause=f"drop {drop.pk} gates open {warning.days_before} days before",
        extra={
            "drop": {
                "name": drop.name,
                "days": warning.days_before,
                "drop_at": timezone.localtime(drop.drop_at).strftime("%Y-%m-%d %H:%M"),
                "gates": "\n".join(f"- {g.get_gate_display()}" for g in still_open),
            }
        },
    )
    return f"warned {len(to)} of {len(still_open)} open gates"


def sweep(*, now: datetime | None = None, worker: str = "", limit: int | None = None) -> FireReport:
    now = now or timezone.now()
    due = (
        ReadinessWarning.objects.filter(fired_at__isnull=True, due_at__lte=now)
        .select_related("drop__program__client", "drop__owner")
        .order_by("due_at", "id")
    )
    return fire_due_rows(due, now=now, limit=limit, fire=fire)


def drain(*, now: datetime | None = None, worker: str = "") -> FireReport:
    return fire_until_none_due(lambda: sweep(now=now, worker=worker))


def _describe(report: Any) -> str | None:
    return (
        f"drop readiness warnings: {report.fired} fired, {report.failed} failed"
        if report.handled
        else None
    )


SOURCE = DueWorkSource(name="drop-warnings", order=20, sweep=sweep, drain=drain, describe=_describe)
