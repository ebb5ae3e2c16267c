"""The churn model's training set and its training, from the agency's own history.

Steps of `training_matrix`:
1. Month ends from the first client's start to `now` less the horizon (a later month
   could not yet know whether notice followed), at most HEALTH_TRAINING_MONTHS.
2. At each month end T: the clients started by then and not yet under notice.
3. Their signals as of T (every point-in-time provider, a fixed number of queries per
   month and batch), the label (a cancellation request raised in (T, T + horizon]),
   the days until it, and the scorecard's risk then (1 - score / 100) to compare with.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from retainops.changes.choices import ChangeKind
from retainops.changes.models import ChangeRequest
from retainops.clients.models import Client
from retainops.health import signals
from retainops.health.choices import ModelState
from retainops.health.models import ChurnModelRun
from retainops.health.scoring import VersionFinder, score_one
from retainops.stats import StatsInputError

if TYPE_CHECKING:
    from retainops.stats.churn import FeatureMatrix

HORIZON_DAYS = 90
CHUNK = 2_000


@dataclass
class TrainingSet:
    matrix: FeatureMatrix
    scorecard_risk: np.ndarray
    month_ends: list[date]


def month_ends(start: date, end: date) -> list[date]:
    found: list[date] = []
    year, month = start.year, start.month
    while True:
        last = date(year, month, calendar.monthrange(year, month)[1])
        if last > end:
            return found
        found.append(last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def training_features() -> list[str]:
    return [p.key for p in signals.providers() if p.point_in_time]


def training_matrix(*, now: datetime | None = None, months: int | None = None) -> TrainingSet:
    now = now or timezone.now()
    limit = months or settings.HEALTH_TRAINING_MONTHS
    features = training_features()
    clients = list(Client.objects.values_list("id", "business_unit_id", "sold_on", "created_at"))
    if not clients:
        raise StatsInputError("There are no clients to learn from.")
    starts = {cid: sold or created.date() for cid, _, sold, created in clients}
    units = {cid: unit for cid, unit, _, _ in clients}
    notices = dict(
        ChangeRequest.objects.filter(kind=ChangeKind.CANCELLATION)
        .values("client_id")
        .annotate(first=Min("raised_at"))
        .values_list("client_id", "first")
    )
    last_end = (now - timedelta(days=HORIZON_DAYS)).date()
    ends = month_ends(min(starts.values()), last_end)[-limit:]
    finder = VersionFinder()
    rows: list[list[float | None]] = []
    labels: list[int] = []
    periods: list[int] = []
    durations: list[float] = []
    card: list[float] = []
    for end in ends:
        at = datetime.combine(end, time(23, 59, 59), tzinfo=UTC)
        alive = [
            cid
            for cid, start in starts.items()
            if start <= end and (cid not in notices or notices[cid] > at)
        ]
        wanted = sorted(set(features) | finder.all_signals())
        for offset in range(0, len(alive), CHUNK):
            chunk = alive[offset : offset + CHUNK]
            values = signals.read_signals(wanted, chunk, as_of=at)
            for cid in chunk:
                rows.append([values[key][cid] for key in features])
                notice = notices.get(cid)
                days = (notice - at).total_seconds() / 86400 if notice else None
                hit = days is not None and days <= HORIZON_DAYS
                labels.append(int(hit))
                durations.append(float(days) if hit and days is not None else float(HORIZON_DAYS))
                periods.append(end.year * 12 + end.month - 1)
                version = finder.version_for(units[cid])
                card.append(
                    np.nan if version is None else 1 - score_one(cid, version, values).score / 100
                )
    if not rows:
        raise StatsInputError("The history holds no complete month to learn from yet.")
    from retainops.stats.churn import FeatureMatrix  # scikit-learn: loaded when training

    matrix = FeatureMatrix.of(features, rows, labels, periods, durations, HORIZON_DAYS)
    return TrainingSet(matrix, np.asarray(card, dtype=float), ends)


def _month_end(period: int) -> date:
    year, month = divmod(period, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def train_churn_model(
    *, by: Any = None, now: datetime | None = None, months: int | None = None
) -> ChurnModelRun:
    """Train, compare and keep a model; a history that cannot support one is kept as a
    failed run with its reason (so the schedule waits before trying again)."""
    now = now or timezone.now()
    try:
        data = training_matrix(now=now, months=months)
        from retainops.stats.churn import fit_churn

        fit = fit_churn(data.matrix, scorecard_risk=data.scorecard_risk)
    except StatsInputError as error:
        return ChurnModelRun.objects.create(
            state=ModelState.FAILED, trained_at=now, trained_by=by, error=str(error)
        )
    return ChurnModelRun.objects.create(
        state=ModelState.TRAINED,
        trained_at=now,
        trained_by=by,
        window_start=data.month_ends[0],
        window_end=data.month_ends[-1],
        test_from=_month_end(fit.test_periods[0]),
        chosen=fit.chosen,
        features=list(data.matrix.names),
        figures=fit.figures(),
        rows=len(data.matrix),
        events=int(data.matrix.y.sum()),
        fitted=fit.model.dumps(),
    )


@dataclass
class RetrainReport:
    trained: int = 0
    line: str = ""

    @property
    def handled(self) -> int:
        return self.trained


def retrain_if_due(*, now: datetime | None = None, worker: str = "") -> RetrainReport:
    """Train again when the newest attempt is older than HEALTH_RETRAIN_DAYS."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.HEALTH_RETRAIN_DAYS)
    if ChurnModelRun.objects.filter(trained_at__gt=since).exists():
        return RetrainReport()
    if not Client.objects.exists():
        return RetrainReport()  # nothing to learn from yet: no attempt recorded
    run = train_churn_model(now=now)
    if run.state == ModelState.FAILED:
        return RetrainReport(1, f"churn model not trained: {run.error}")
    auc = run.figure(run.chosen, "auc")
    return RetrainReport(1, f"churn model trained ({run.chosen}, held-out AUC {auc})")


def describe(report: RetrainReport) -> str | None:
    return report.line or None
