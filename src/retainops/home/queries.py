"""A person's home page: what is theirs today, their clients at risk, what happened on
their clients lately, and two charts (their clients' MRR by month, the open change
requests by stage). It reads the apps below it and writes nothing."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Collate

from retainops.cadence.models import Touchpoint
from retainops.changes.choices import ChangeKind, ChangeStatus
from retainops.changes.models import ChangeRequest
from retainops.changes.queries import visible_requests
from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.queries import visible_clients
from retainops.core.charts import Chart, Series, bar_chart, line_chart
from retainops.health.choices import Band
from retainops.health.models import HealthSnapshot
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
# A client not heard from in more than this many whole days shows a warning sign.
QUIET_DAYS = 30
MRR_MONTHS = 12


def my_clients(user: Any) -> QuerySet[Client]:
    """The clients whose team the person is on (and may see). A subquery on the team
    rather than a join: a person in two roles on one team would repeat the client, and
    the DISTINCT that would fold it back costs every query built on this one."""
    teams = ClientTeamMember.objects.filter(user=user).values("client_id")
    return visible_clients(user).filter(pk__in=teams)


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
        quiet = self.days_since_contact is None or self.days_since_contact > QUIET_DAYS
        return (self.overdue_steps > 0) + (self.open_requests > 0) + quiet

    def rank(self) -> tuple[int, float, int, str]:
        """The order of the list, worst first; `_ranked` says the same in SQL."""
        band = BAND_ORDER.get(self.snapshot.band, 3) if self.snapshot else 3
        score = self.snapshot.score if self.snapshot else 100.0
        return (band, score, -self.signals, self.client.name)


def clients_at_risk(user: Any, *, now: datetime, limit: int = AT_RISK_LIMIT) -> list[ClientRisk]:
    """The person's clients most at risk first: by health band and score where scored,
    then by their warning signs (overdue steps, open change requests, a month or more
    without contact). Clients in good health with no sign are left out.

    The database ranks and cuts the list, so a book of thousands of clients costs the
    same few queries as a book of ten; only the rows shown are read in full."""
    ranked = _ranked(user, now=now, limit=limit)
    clients = Client.objects.in_bulk([pk for pk, _ in ranked])
    snapshots = HealthSnapshot.objects.in_bulk([s for _, s in ranked if s is not None])
    details = {
        row["pk"]: row
        for row in Client.objects.filter(pk__in=list(clients)).values(
            "pk",
            overdue=_count(_overdue_tasks(now)),
            requests=_count(_open_requests()),
            last=Subquery(_contacts(now).order_by("-at").values("at")[:1]),
        )
    }
    return [
        ClientRisk(
            client=clients[pk],
            snapshot=snapshots.get(snapshot) if snapshot is not None else None,
            overdue_steps=details[pk]["overdue"],
            open_requests=details[pk]["requests"],
            days_since_contact=(now - details[pk]["last"]).days if details[pk]["last"] else None,
        )
        for pk, snapshot in ranked
    ]


def _ranked(user: Any, *, now: datetime, limit: int) -> list[tuple[int, int | None]]:
    """The first `limit` of the person's worrying clients in the order of
    `ClientRisk.rank`: each one's id and its newest snapshot's (None when unscored).

    Worrying, as `ClientRisk` reads it: scored clients out of the green band or with
    overdue steps or open requests; unscored ones with any sign, a long silence
    included. Ties of band, score and signs go by name in code-point order, as Python
    compares strings (the "C" collation on PostgreSQL, SQLite's own BINARY), then by
    id so that two clients of one name keep one order."""
    # The newest snapshot joined once, so that its band and score cost nothing to read
    # again in the filter and the order (a subquery would run once for each use).
    newest_day = HealthSnapshot.objects.filter(client=OuterRef("pk")).order_by("-day")
    newest = FilteredRelation(
        "health_snapshots",
        condition=Q(health_snapshots__day=Subquery(newest_day.values("day")[:1])),
    )
    overdue = Exists(_overdue_tasks(now))
    requests = Exists(_open_requests())
    # Silent: no contact in the last QUIET_DAYS + 1 days, since `days_since_contact`
    # counts whole days and a silence of QUIET_DAYS days and some hours is not yet one.
    heard = Exists(_contacts(now).filter(at__gt=now - timedelta(days=QUIET_DAYS + 1)))
    ranked = (
        my_clients(user)
        .annotate(newest=newest)
        .annotate(
            snapshot_id=F("newest__id"),
            band=F("newest__band"),
            band_order=Case(
                *(When(band=b, then=Value(order)) for b, order in BAND_ORDER.items()),
                default=Value(3),
            ),
            score=Coalesce("newest__score", Value(100.0)),
            signals=_flag(overdue) + _flag(requests) + _flag(~heard),
        )
        .filter(
            overdue
            | requests
            | Q(snapshot_id__isnull=False) & ~Q(band=Band.GREEN)
            | Q(snapshot_id__isnull=True) & ~heard
        )
        .order_by(
            "band_order",
            "score",
            "-signals",
            Collate("name", "C" if connection.vendor == "postgresql" else "BINARY"),
            "pk",
        )
    )
    # The rank's own columns are selected too, so that the order reads them by position
    # instead of computing them a second time.
    rows = ranked.values_list("pk", "snapshot_id", "band_order", "score", "signals")[:limit]
    return [(pk, snapshot) for pk, snapshot, *_rank in rows]


def _overdue_tasks(now: datetime) -> QuerySet[Task]:
    return Task.objects.filter(client=OuterRef("pk"), state=TaskState.OPEN, due_at__lt=now)


def _open_requests() -> QuerySet[ChangeRequest]:
    # The person may see every request of a client they may see: no further scope.
    return ChangeRequest.objects.filter(client=OuterRef("pk"), status__in=OPEN_REQUEST_STATES)


def _contacts(now: datetime) -> QuerySet[Touchpoint]:
    return Touchpoint.objects.filter(client=OuterRef("pk"), at__lte=now)


def _count(rows: QuerySet[Any]) -> Coalesce:
    """How many of `rows` (filtered on the outer client) there are, as a subquery."""
    counted = rows.order_by().values("client").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _flag(condition: Combinable) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0))


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
