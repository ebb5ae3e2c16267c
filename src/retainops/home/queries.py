"""A person's home page: what is theirs today, their clients at risk, what happened on
their clients lately, and two charts (their clients' MRR by month, the open change
requests by stage). It reads the apps below it and writes nothing."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, QuerySet

from retainops.cadence.models import Touchpoint
from retainops.changes.choices import ChangeKind, ChangeStatus
from retainops.changes.queries import visible_requests
from retainops.clients.models import Client
from retainops.clients.queries import visible_clients
from retainops.core.charts import Chart, Series, bar_chart, line_chart
from retainops.health.choices import Band
from retainops.health.models import HealthSnapshot
from retainops.health.queries import latest_snapshots
from retainops.playbooks.choices import TaskState
from retainops.playbooks.models import Task, TimelineEvent
from retainops.portfolio.metrics import month_starts, mrr_at

OPEN_REQUEST_STATES = (
    ChangeStatus.DRAFT,
    ChangeStatus.SUBMITTED,
    ChangeStatus.RETURNED,
    ChangeStatus.APPROVED,
    ChangeStatus.PROCESSED,
)
BAND_ORDER: dict[str, int] = {Band.RED: 0, Band.AMBER: 1, Band.GREEN: 2}
AT_RISK_LIMIT = 10
MRR_MONTHS = 12


def my_clients(user: Any) -> QuerySet[Client]:
    """The clients whose team the person is on (and may see)."""
    return visible_clients(user).filter(team__user=user).distinct()


@dataclass
class ClientRisk:
    client: Client
    snapshot: HealthSnapshot | None
    overdue_steps: int
    open_requests: int
    days_since_contact: int | None

    @property
    def signals(self) -> int:
        """How many warning signs the client shows, for clients without a health score."""
        quiet = self.days_since_contact is None or self.days_since_contact > 30
        return (self.overdue_steps > 0) + (self.open_requests > 0) + quiet

    def rank(self) -> tuple[int, float, int, str]:
        band = BAND_ORDER.get(self.snapshot.band, 3) if self.snapshot else 3
        score = self.snapshot.score if self.snapshot else 100.0
        return (band, score, -self.signals, self.client.name)


def _count_by_client(rows: QuerySet[Any]) -> dict[int, int]:
    return {r["client_id"]: r["n"] for r in rows.values("client_id").annotate(n=Count("id"))}


def clients_at_risk(user: Any, *, now: datetime, limit: int = AT_RISK_LIMIT) -> list[ClientRisk]:
    """The person's clients most at risk first: by health band and score where scored,
    then by their warning signs (overdue steps, open change requests, a month or more
    without contact). Clients in good health with no sign are left out."""
    clients = list(my_clients(user).order_by("name"))
    ids = [c.pk for c in clients]
    snapshots = latest_snapshots(ids)
    overdue = _count_by_client(
        Task.objects.filter(client_id__in=ids, state=TaskState.OPEN, due_at__lt=now)
    )
    requests = _count_by_client(
        visible_requests(user).filter(client_id__in=ids, status__in=OPEN_REQUEST_STATES)
    )
    touched = dict(
        Touchpoint.objects.filter(client_id__in=ids, at__lte=now)
        .values("client_id")
        .annotate(last=Max("at"))
        .values_list("client_id", "last")
    )
    rows = [
        ClientRisk(
            client=c,
            snapshot=snapshots.get(c.pk),
            overdue_steps=overdue.get(c.pk, 0),
            open_requests=requests.get(c.pk, 0),
            days_since_contact=(now - touched[c.pk]).days if c.pk in touched else None,
        )
        for c in clients
    ]
    worrying = [r for r in rows if _worrying(r)]
    return sorted(worrying, key=ClientRisk.rank)[:limit]


def _worrying(row: ClientRisk) -> bool:
    """Scored clients: out of the green band, or with overdue steps or open requests.
    Unscored ones: any warning sign, a long silence included."""
    if row.snapshot is not None:
        return row.snapshot.band != Band.GREEN or row.overdue_steps > 0 or row.open_requests > 0
    return row.signals > 0


def recent_activity(user: Any, *, limit: int = 15) -> list[TimelineEvent]:
    """The newest events on the timelines of the person's clients."""
    return list(
        TimelineEvent.objects.filter(client__in=my_clients(user))
        .select_related("client", "actor")
        .order_by("-at", "-id")[:limit]
    )


def mrr_trend(user: Any, *, today: date) -> Chart | None:
    """The person's clients' MRR at each month's start over the last year."""
    clients = my_clients(user)
    if not clients.exists():
        return None
    # Each month's start, and today's figure last (tomorrow's first instant holds it).
    days = [*month_starts(today, MRR_MONTHS), today + timedelta(days=1)]
    totals = mrr_at(clients, days)
    values = tuple(float(sum(totals[d].values(), Decimal(0))) for d in days)
    return line_chart(
        title="MRR of my clients, by month and today",
        x_labels=[*(d.strftime("%b %Y") for d in days[:-1]), "Today"],
        series=[Series("MRR", values)],
        y_label="MRR",
    )


def requests_by_stage(user: Any) -> Chart | None:
    """The open change requests the person may see, by stage and kind."""
    rows = (
        visible_requests(user)
        .filter(status__in=OPEN_REQUEST_STATES)
        .values("status", "kind")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[str, str], int] = {(r["status"], r["kind"]): r["n"] for r in rows}
    if not counts:
        return None
    kinds = sorted({kind for _, kind in counts})
    return bar_chart(
        title="Open change requests by stage",
        categories=[ChangeStatus(s).label for s in OPEN_REQUEST_STATES],
        series=[
            Series(
                ChangeKind(kind).label,
                tuple(float(counts.get((s, kind), 0)) for s in OPEN_REQUEST_STATES),
            )
            for kind in kinds
        ],
        y_label="Requests",
        stacked=True,
    )
