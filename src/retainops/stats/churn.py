"""Churn risk: who is likely to give notice, and why.

Feature matrices in, fitted models and evaluation figures out. No Django: the rows
are (client, month) pairs built by the caller, each with the signals as they were at
that month's end, whether the client gave notice within the horizon after it, and
the days until it did (the horizon when it did not).

Steps of `fit_churn`:
1. Split by time: the last `test_fraction` of the months are held out, so every
   model is judged on months after those it learned from.
2. Fill missing values with the training medians (kept with the model).
3. Fit a logistic regression (standardised) and gradient boosting, each with its
   probabilities calibrated (sigmoid, cross-validated on the training months).
4. Fit a Cox proportional-hazards model (lifelines) on the same training rows; its
   risk is 1 - S(horizon | x).
5. Score the held-out months: AUC, Brier score and calibration curve points for
   every model, and for the hand-weighted scorecard when its scores are given.
6. Choose between the two scikit-learn models by held-out AUC (Brier breaks a tie),
   then refit the chosen one on every row for use.

A client's reasons (`reasons`) are the features whose value raises its risk most:
each feature in turn is set back to the training median and the fall in risk is
that feature's share.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from retainops.stats import StatsInputError

MIN_ROWS = 40
MIN_EVENTS = 5
CANDIDATES = ("logistic", "boosting")


@dataclass(frozen=True)
class FeatureMatrix:
    """Rows of (client, month): features (NaN = not known), label, time to notice, month."""

    names: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    periods: np.ndarray
    durations: np.ndarray | None = None
    horizon_days: int = 90

    @classmethod
    def of(
        cls,
        names: Sequence[str],
        rows: Sequence[Sequence[float | None]],
        labels: Sequence[int | bool],
        periods: Sequence[int],
        durations: Sequence[float] | None = None,
        horizon_days: int = 90,
    ) -> FeatureMatrix:
        """Build from plain lists; None becomes NaN. Raises StatsInputError on bad shapes."""
        if not names:
            raise StatsInputError("The feature matrix has no features.")
        x = np.array(
            [[math.nan if v is None else float(v) for v in row] for row in rows], dtype=float
        ).reshape(len(rows), len(names))
        y = np.asarray(labels, dtype=int)
        p = np.asarray(periods, dtype=int)
        if not (len(x) == len(y) == len(p)):
            raise StatsInputError("Features, labels and periods must have one entry per row.")
        if durations is not None and len(durations) != len(y):
            raise StatsInputError("Durations must have one entry per row.")
        if np.isinf(x).any():
            raise StatsInputError("A feature value is infinite.")
        d = None if durations is None else np.asarray(durations, dtype=float)
        return cls(tuple(names), x, y, p, d, horizon_days)

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class Evaluation:
    """How one model ranked and scored the held-out months."""

    model: str
    auc: float
    brier: float
    calibration: tuple[tuple[float, float], ...]  # (mean predicted, observed rate) per bin

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "auc": round(self.auc, 4),
            "brier": round(self.brier, 4),
            "calibration": [[round(p, 4), round(o, 4)] for p, o in self.calibration],
        }


@dataclass
class ChurnModel:
    """A fitted, calibrated classifier with what it needs to score and explain a row."""

    kind: str
    names: tuple[str, ...]
    medians: np.ndarray
    estimator: Any
    horizon_days: int = 90

    def risk(self, x: np.ndarray) -> np.ndarray:
        """Probability of notice within the horizon, one per row (NaN filled by medians)."""
        rows = _fill(np.atleast_2d(np.asarray(x, dtype=float)), self.medians)
        return np.asarray(self.estimator.predict_proba(rows)[:, 1])

    def reasons(self, x: Sequence[float | None], top: int = 3) -> list[tuple[str, float]]:
        """The features raising this row's risk most, with how much (probability points)."""
        row = np.array([math.nan if v is None else float(v) for v in x], dtype=float)
        row = _fill(row.reshape(1, -1), self.medians)
        base = float(self.risk(row)[0])
        trials = np.repeat(row, len(self.names), axis=0)
        for j in range(len(self.names)):
            trials[j, j] = self.medians[j]
        shares = base - self.risk(trials)
        ranked = sorted(
            ((self.names[j], float(shares[j])) for j in range(len(self.names))),
            key=lambda pair: -pair[1],
        )
        return [(name, share) for name, share in ranked if share > 1e-4][:top]

    def reasons_many(self, x: np.ndarray, top: int = 3) -> list[list[tuple[str, float]]]:
        """`reasons` for many rows in one pass of the model (rows x features trials)."""
        rows = _fill(np.atleast_2d(np.asarray(x, dtype=float)), self.medians)
        n, p = rows.shape
        base = self.risk(rows)
        trials = np.repeat(rows, p, axis=0)
        columns = np.tile(np.arange(p), n)
        trials[np.arange(n * p), columns] = self.medians[columns]
        shares = (base.repeat(p) - self.risk(trials)).reshape(n, p)
        found = []
        for i in range(n):
            order = np.argsort(-shares[i], kind="stable")
            found.append(
                [(self.names[j], float(shares[i, j])) for j in order if shares[i, j] > 1e-4][:top]
            )
        return found

    def drivers(self, x: np.ndarray) -> list[tuple[str, float]]:
        """Features by their mean share of the risk over many rows, largest first."""
        rows = _fill(np.atleast_2d(np.asarray(x, dtype=float)), self.medians)
        base = self.risk(rows)
        totals = []
        for j, name in enumerate(self.names):
            moved = rows.copy()
            moved[:, j] = self.medians[j]
            totals.append((name, float(np.mean(np.clip(base - self.risk(moved), 0, None)))))
        return sorted(totals, key=lambda pair: -pair[1])

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer)
        return buffer.getvalue()

    @staticmethod
    def loads(data: bytes) -> ChurnModel:
        loaded = joblib.load(io.BytesIO(bytes(data)))
        if not isinstance(loaded, ChurnModel):
            raise StatsInputError("The stored bytes are not a churn model.")
        return loaded


@dataclass
class ChurnFit:
    """The chosen model, every model's held-out figures, and the split used."""

    model: ChurnModel
    chosen: str
    evaluations: dict[str, Evaluation]
    train_periods: tuple[int, int]
    test_periods: tuple[int, int]
    train_rows: int
    test_rows: int
    train_events: int
    test_events: int
    drivers: list[tuple[str, float]] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "evaluations": {k: v.as_dict() for k, v in self.evaluations.items()},
            "train_periods": list(self.train_periods),
            "test_periods": list(self.test_periods),
            "train_rows": self.train_rows,
            "test_rows": self.test_rows,
            "train_events": self.train_events,
            "test_events": self.test_events,
            "drivers": [[name, round(share, 5)] for name, share in self.drivers],
        }


def time_split(periods: np.ndarray, test_fraction: float = 0.3) -> tuple[np.ndarray, int]:
    """A mask of the training rows and the first held-out period: the last months are held out."""
    if not 0 < test_fraction < 1:
        raise StatsInputError("The held-out share must lie between 0 and 1.")
    distinct = np.unique(periods)
    if len(distinct) < 2:
        raise StatsInputError("A time-based split needs at least two months of history.")
    held = max(1, round(len(distinct) * test_fraction))
    cutoff = int(distinct[len(distinct) - held])
    return periods < cutoff, cutoff


def evaluate(name: str, y: np.ndarray, risk: np.ndarray, bins: int = 5) -> Evaluation:
    """AUC, Brier score and calibration points of one set of probabilities."""
    if len(np.unique(y)) < 2:
        raise StatsInputError("The held-out months need clients who gave notice and who did not.")
    if np.isnan(risk).any():
        raise StatsInputError(f"The {name} model gave no probability for some rows.")
    clipped = np.clip(risk, 0.0, 1.0)
    observed, predicted = calibration_curve(y, clipped, n_bins=bins, strategy="quantile")
    return Evaluation(
        model=name,
        auc=float(roc_auc_score(y, clipped)),
        brier=float(brier_score_loss(y, clipped)),
        calibration=tuple((float(p), float(o)) for p, o in zip(predicted, observed, strict=True)),
    )


def fit_churn(
    matrix: FeatureMatrix,
    *,
    test_fraction: float = 0.3,
    scorecard_risk: np.ndarray | None = None,
    seed: int = 0,
) -> ChurnFit:
    """Fit, compare and choose (see the module's steps). Raises StatsInputError with a
    sentence when the history cannot support a model."""
    if len(matrix) < MIN_ROWS:
        raise StatsInputError(
            f"Training needs at least {MIN_ROWS} client-months; the history has {len(matrix)}."
        )
    train, _cutoff = time_split(matrix.periods, test_fraction)
    test = ~train
    y_train, y_test = matrix.y[train], matrix.y[test]
    for part, ys in (("training", y_train), ("held-out", y_test)):
        if int(ys.sum()) < MIN_EVENTS and part == "training":
            raise StatsInputError(
                f"The {part} months hold {int(ys.sum())} notices; at least {MIN_EVENTS} are needed."
            )
        if ys.sum() == 0 or ys.sum() == len(ys):
            raise StatsInputError(
                f"The {part} months need clients who gave notice and clients who did not."
            )
    medians = _medians(matrix.x[train])
    x_train = _fill(matrix.x[train], medians)
    x_test = _fill(matrix.x[test], medians)

    models: dict[str, ChurnModel] = {}
    evaluations: dict[str, Evaluation] = {}
    for kind in CANDIDATES:
        estimator = _calibrated(kind, y_train, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(x_train, y_train)
        models[kind] = ChurnModel(kind, matrix.names, medians, estimator, matrix.horizon_days)
        evaluations[kind] = evaluate(kind, y_test, models[kind].risk(x_test))
    cox = _cox_risk(matrix, train, x_train, x_test)
    if cox is not None:
        evaluations["cox"] = evaluate("cox", y_test, cox)
    if scorecard_risk is not None:
        card = np.asarray(scorecard_risk, dtype=float)
        if len(card) != len(matrix):
            raise StatsInputError("The scorecard risk must have one value per row.")
        card_test = card[test]
        fallback = float(np.nanmean(card_test)) if np.isfinite(card_test).any() else 0.5
        evaluations["scorecard"] = evaluate(
            "scorecard", y_test, np.where(np.isnan(card_test), fallback, card_test)
        )

    chosen = max(CANDIDATES, key=lambda k: (evaluations[k].auc, -evaluations[k].brier))
    drivers = models[chosen].drivers(matrix.x[test])
    # For use, the chosen kind learns from every month, the held-out ones included.
    every = _fill(matrix.x, medians)
    final = _calibrated(chosen, matrix.y, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final.fit(every, matrix.y)
    periods_train = matrix.periods[train]
    periods_test = matrix.periods[test]
    return ChurnFit(
        model=ChurnModel(chosen, matrix.names, medians, final, matrix.horizon_days),
        chosen=chosen,
        evaluations=evaluations,
        train_periods=(int(periods_train.min()), int(periods_train.max())),
        test_periods=(int(periods_test.min()), int(periods_test.max())),
        train_rows=int(train.sum()),
        test_rows=int(test.sum()),
        train_events=int(y_train.sum()),
        test_events=int(y_test.sum()),
        drivers=drivers,
    )


def _calibrated(kind: str, y: np.ndarray, seed: int) -> CalibratedClassifierCV:
    if kind == "logistic":
        base: Any = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    else:
        base = GradientBoostingClassifier(
            n_estimators=120, max_depth=2, learning_rate=0.05, subsample=0.8, random_state=seed
        )
    folds = int(max(2, min(3, y.sum(), len(y) - y.sum())))
    return CalibratedClassifierCV(base, method="sigmoid", cv=folds)


def _cox_risk(
    matrix: FeatureMatrix, train: np.ndarray, x_train: np.ndarray, x_test: np.ndarray
) -> np.ndarray | None:
    """Risk of notice within the horizon from a Cox model; None without durations."""
    if matrix.durations is None:
        return None
    import pandas as pd
    from lifelines import CoxPHFitter

    # Constant columns carry no hazard and make the fit singular.
    keep = [j for j in range(x_train.shape[1]) if np.std(x_train[:, j]) > 0]
    if not keep:
        raise StatsInputError("Every feature is constant over the training months.")
    names = [f"f{j}" for j in keep]
    frame = pd.DataFrame(x_train[:, keep], columns=names)
    frame["duration"] = np.clip(matrix.durations[train], 0.5, None)
    frame["event"] = matrix.y[train]
    fitter = CoxPHFitter(penalizer=0.05)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter.fit(frame, duration_col="duration", event_col="event")
    except Exception as error:  # lifelines raises its own ConvergenceError and LinAlgError
        raise StatsInputError(f"The Cox model did not converge: {error}") from None
    survival = fitter.predict_survival_function(
        pd.DataFrame(x_test[:, keep], columns=names), times=[float(matrix.horizon_days)]
    )
    return np.asarray(1.0 - survival.to_numpy()[0], dtype=float)


def _medians(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        medians = np.nanmedian(x, axis=0)
    return np.where(np.isnan(medians), 0.0, medians)


def _fill(x: np.ndarray, medians: np.ndarray) -> np.ndarray:
    filled = np.array(x, dtype=float, copy=True)
    gaps = np.isnan(filled)
    if gaps.any():
        filled[gaps] = np.take(medians, np.nonzero(gaps)[1])
    return filled
