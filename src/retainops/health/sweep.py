"""The daily health sweep: a snapshot for every client still served, in batches.

Steps of one pass (`sweep`):
1. The day is today's date at `now`; its SnapshotRun row says whether it is done.
2. Take the next batch of clients (by id) with no snapshot for the day.
3. Score them in a set (scoring.py) and, when a churn model was trained, rate their
   risk with its reasons, from the same signal values.
4. In one transaction: insert the snapshots (a row already written by a killed run,
   or another worker, is left as it is: one per client and day), and for every
   client whose band fell since its previous snapshot write its one BandAlert and
   queue the message to its account manager.
A pass that finds no client left marks the day finished.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from retainops.clients.models import Client, ClientTeamMember
from retainops.core.choices import RoleCode
from retainops.core.due_work import DueWorkSource
from retainops.health import risk as churn_risk
from retainops.health.choices import BAND_RANK, Band
from retainops.health.models import BandAlert, HealthSnapshot, SnapshotRun
from retainops.health.scoring import Scored, VersionFinder, score_clients
from retainops.messaging.services import Outgoing, queue_message

SNAPSHOT_ORDER = 8


@dataclass
class SnapshotReport:
    snapshots: int = 0
    alerts: int = 0
    finished: bool = False

    @property
    def handled(self) -> int:
        return self.snapshots

    def add(self, other: "SnapshotReport") -> None:
        self.snapshots += other.snapshots
        self.alerts += other.alerts
        self.finished = self.finished or other.finished


def served_clients() -> "list[tuple[int, int]]":
    return list(Client.objects.exclude(status="cancelled").values_list("id", "business_unit_id"))


def sweep(
    *, now: datetime | None = None, worker: str = "", batch: int | None = None
) -> SnapshotReport:
    now = now or timezone.now()
    day = timezone.localdate(now)
    run, _ = SnapshotRun.objects.get_or_create(day=day)
    if run.finished_at is not None:
        return SnapshotReport()
    size = batch or settings.HEALTH_SNAPSHOT_BATCH
    done_today = HealthSnapshot.objects.filter(day=day).values("client_id")
    pending = list(
        Client.objects.exclude(status="cancelled")
        .exclude(pk__in=done_today)
        .order_by("id")
        .values_list("id", "business_unit_id")[:size]
    )
    if not pending:
        SnapshotRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
            finished_at=timezone.now(), snapshots=HealthSnapshot.objects.filter(day=day).count()
        )
        return SnapshotReport(finished=True)
    return snapshot_batch(pending, day=day, as_of=now)


def snapshot_batch(
    pending: "list[tuple[int, int]]",
    *,
    day: date,
    as_of: datetime,
    finder: VersionFinder | None = None,
) -> SnapshotReport:
    model_run = churn_risk.latest_model()
    extra = model_run.features if model_run is not None else []
    scored, values = score_clients(pending, as_of=as_of, finder=finder, extra_signals=extra)
    ids = [s.client_id for s in scored]
    rated = churn_risk.risks(model_run, ids, values) if model_run is not None else {}
    previous = dict(
        Client.objects.filter(pk__in=ids)
        .annotate(
            last_band=Subquery(
                HealthSnapshot.objects.filter(client=OuterRef("pk"), day__lt=day)
                .order_by("-day")
                .values("band")[:1]
            )
        )
        .values_list("id", "last_band")
    )
    rows = []
    for one in scored:
        risk, reasons = rated.get(one.client_id, (None, []))
        rows.append(
            HealthSnapshot(
                client_id=one.client_id,
                day=day,
                version=one.version,
                score=one.score,
                band=one.band,
                contributions=one.contributions,
                risk=risk,
                risk_reasons=reasons,
                model=model_run if risk is not None else None,
            )
        )
    dropped = [
        one
        for one in scored
        if previous.get(one.client_id)
        and BAND_RANK[Band(one.band)] < BAND_RANK[Band(previous[one.client_id])]
    ]
    with transaction.atomic():
        HealthSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
        alerts = _alert(dropped, previous, day)
    return SnapshotReport(snapshots=len(rows), alerts=alerts)


def _alert(dropped: list[Scored], previous: dict[int, str | None], day: date) -> int:
    """One alert per drop (the unique row decides), its message to the account manager."""
    if not dropped:
        return 0
    managers = set(
        ClientTeamMember.objects.filter(
            client_id__in=[d.client_id for d in dropped], role__code=RoleCode.ACCOUNT_MANAGER
        ).values_list("client_id", flat=True)
    )
    names = dict(
        Client.objects.filter(pk__in=[d.client_id for d in dropped]).values_list("id", "name")
    )
    sent = 0
    for one in dropped:
        try:
            with transaction.atomic():
                alert = BandAlert.objects.create(
                    client_id=one.client_id,
                    day=day,
                    from_band=previous[one.client_id] or "",
                    to_band=one.band,
                )
        except IntegrityError:
            continue
        if one.client_id not in managers:
            continue
        worst = sorted(one.contributions, key=lambda c: c["points"] - c["max"])[:3]
        reasons = "\n".join(f"- {c['words']}" for c in worst)
        name = names.get(one.client_id, "A client")
        message = queue_message(
            outgoing=Outgoing(
                subject=f"{name} fell to {Band(one.band).label.lower()} (health {one.score:.0f})",
                body_text=(
                    f"{name}'s health score is {one.score:.0f} today, down from the "
                    f"{Band(previous[one.client_id] or one.band).label.lower()} band.\n\n"
                    f"What pulls it down most:\n{reasons}\n"
                ),
                to=[f"role:{RoleCode.ACCOUNT_MANAGER}"],
            ),
            client=Client.objects.get(pk=one.client_id),
            cause=f"health band dropped on {day}",
        )
        BandAlert.objects.filter(pk=alert.pk).update(message=message)
        sent += 1
    return sent


def drain(*, now: datetime | None = None, worker: str = "") -> SnapshotReport:
    total = SnapshotReport()
    while True:
        report = sweep(now=now, worker=worker)
        total.add(report)
        if not report.snapshots:
            return total


def describe(report: SnapshotReport) -> str | None:
    if not report.snapshots:
        return None
    return f"health: {report.snapshots} snapshots, {report.alerts} band alerts"


SOURCE = DueWorkSource(
    name="health-snapshots", order=SNAPSHOT_ORDER, sweep=sweep, drain=drain, describe=describe
)
