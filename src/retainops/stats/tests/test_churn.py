"""Churn models on synthetic client-months with a planted hazard (no database)."""

import numpy as np
import pytest

from retainops.stats import StatsInputError
from retainops.stats.churn import ChurnModel, FeatureMatrix, evaluate, fit_churn, time_split

NAMES = ("days_since_touch", "breached", "noise_a", "noise_b")


def planted(n: int = 1500, months: int = 12, seed: int = 3) -> FeatureMatrix:
    """Notice odds rise with days since the last touch and with breached complaints only."""
    rng = np.random.default_rng(seed)
    days = rng.gamma(2.0, 12.0, n)
    breached = rng.poisson(0.4, n).astype(float)
    noise = rng.normal(size=(n, 2))
    logit = -4.2 + 0.06 * days + 0.9 * breached
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    x = np.column_stack([days, breached, noise])
    x[rng.random(n) < 0.05, 2] = np.nan
    durations = np.where(y, rng.integers(1, 90, n), 90)
    periods = rng.integers(0, months, n)
    return FeatureMatrix.of(NAMES, x.tolist(), y.tolist(), periods.tolist(), durations.tolist())


def test_planted_hazard_is_ranked_well_and_its_drivers_named_first() -> None:
    matrix = planted()
    fit = fit_churn(matrix, scorecard_risk=np.full(len(matrix), 0.1))
    chosen = fit.evaluations[fit.chosen]
    assert chosen.auc > 0.75
    assert {name for name, _ in fit.drivers[:2]} == {"days_since_touch", "breached"}
    assert set(fit.evaluations) == {"logistic", "boosting", "cox", "scorecard"}
    # A constant scorecard ranks no better than chance.
    assert fit.evaluations["scorecard"].auc == pytest.approx(0.5)
    assert fit.evaluations["cox"].auc > 0.7
    assert 0 < chosen.brier < 0.25
    assert fit.test_periods[0] > fit.train_periods[1]


def test_reasons_name_what_raises_this_clients_risk() -> None:
    fit = fit_churn(planted())
    neglected = [80.0, 0.0, 0.0, 0.0]
    reasons = fit.model.reasons(neglected)
    assert reasons[0][0] == "days_since_touch"
    well_served = [2.0, 0.0, 0.0, 0.0]
    assert all(name != "days_since_touch" for name, _ in fit.model.reasons(well_served))
    assert fit.model.risk(np.array([neglected]))[0] > fit.model.risk(np.array([well_served]))[0]


def test_a_model_survives_a_round_trip_through_bytes() -> None:
    fit = fit_churn(planted(n=400))
    again = ChurnModel.loads(fit.model.dumps())
    row = np.array([[30.0, 1.0, 0.0, np.nan]])
    assert again.risk(row)[0] == pytest.approx(fit.model.risk(row)[0])


def test_split_holds_out_the_last_months() -> None:
    train, cutoff = time_split(np.array([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 0.3)
    assert cutoff == 7
    assert train.sum() == 8


@pytest.mark.parametrize(
    ("labels", "message"),
    [([0] * 60, "notice"), ([1] * 60, "gave notice")],
)
def test_a_history_without_both_outcomes_is_refused(labels: list[int], message: str) -> None:
    matrix = FeatureMatrix.of(("a",), [[float(i)] for i in range(60)], labels, list(range(60)))
    with pytest.raises(StatsInputError, match=message):
        fit_churn(matrix)


def test_too_short_a_history_is_refused() -> None:
    matrix = FeatureMatrix.of(("a",), [[1.0]] * 5, [0, 1, 0, 1, 0], [0, 1, 2, 3, 4])
    with pytest.raises(StatsInputError, match="at least"):
        fit_churn(matrix)


def test_bad_shapes_and_values_are_refused() -> None:
    with pytest.raises(StatsInputError, match="one entry per row"):
        FeatureMatrix.of(("a",), [[1.0], [2.0]], [0], [0, 1])
    with pytest.raises(StatsInputError, match="infinite"):
        FeatureMatrix.of(("a",), [[float("inf")]], [0], [0])
    with pytest.raises(StatsInputError, match="who gave notice"):
        evaluate("x", np.array([0, 0]), np.array([0.1, 0.2]))


def test_reasons_of_many_rows_match_one_at_a_time() -> None:
    fit = fit_churn(planted(n=600))
    rows = np.array([[80.0, 0.0, 0.0, 0.0], [3.0, 3.0, 1.0, np.nan]])
    many = fit.model.reasons_many(rows)
    for row, reasons in zip(rows, many, strict=True):
        assert [n for n, _ in reasons] == [n for n, _ in fit.model.reasons(list(row))]
