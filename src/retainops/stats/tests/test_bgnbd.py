"""BG/NBD and Gamma-Gamma against the published CDNOW figures.

Tolerances: parameters are published to three decimals (BG/NBD) or two
(Gamma-Gamma), so each is checked to half a unit of its last published digit
plus the optimiser's slack: 0.002 for r, a, b; 0.005 for alpha; 0.1 on the
log-likelihood (published to one decimal); 0.01 for p and q and 0.02 for gamma.
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from retainops.stats import StatsInputError
from retainops.stats.bgnbd import (
    bgnbd_log_likelihood,
    conditional_expected_purchases,
    customer_value,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
)

DATA = Path(__file__).parent / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    with DATA.open() as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(r[key]) for r in rows]) for key in ("x", "t_x", "T", "zbar")}


@pytest.fixture(scope="module")
def fitted(cdnow):
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_bgnbd_reproduces_the_paper_on_cdnow(fitted) -> None:
    assert fitted.customers == 2357
    assert fitted.r == pytest.approx(0.243, abs=0.002)
    assert fitted.alpha == pytest.approx(4.414, abs=0.005)
    assert fitted.a == pytest.approx(0.793, abs=0.002)
    assert fitted.b == pytest.approx(2.426, abs=0.002)
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_fitting_every_row_gives_the_same_estimates_as_collapsed_rows(cdnow, fitted) -> None:
    plain = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], collapse=False)
    assert plain.log_likelihood == pytest.approx(fitted.log_likelihood, abs=1e-3)
    assert plain.r == pytest.approx(fitted.r, rel=1e-3)


def test_the_likelihood_is_the_sum_over_customers(cdnow, fitted) -> None:
    params = [fitted.r, fitted.alpha, fitted.a, fitted.b]
    each = bgnbd_log_likelihood(params, cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert each.sum() == pytest.approx(fitted.log_likelihood, abs=1e-6)


def test_expected_purchases_of_the_papers_worked_example(fitted) -> None:
    expected = conditional_expected_purchases(fitted, 39, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.002)


def test_p_alive_is_one_without_repeat_purchases_and_falls_with_silence(fitted) -> None:
    alive = probability_alive(fitted, [0, 5, 5], [0, 38.0, 10.0], [38.86] * 3)
    assert alive[0] == 1.0
    assert 0.8 < alive[1] <= 1.0
    assert alive[2] < alive[1]


def test_hundreds_of_purchases_stay_finite(cdnow) -> None:
    x = np.concatenate([cdnow["x"], [350.0, 800.0]])
    t_x = np.concatenate([cdnow["t_x"], [38.5, 2.0]])
    age = np.concatenate([cdnow["T"], [38.86, 38.86]])
    fit = fit_bgnbd(x, t_x, age)
    assert np.isfinite(fit.log_likelihood)
    expected = conditional_expected_purchases(fit, 39, [350, 800], [38.5, 2.0], [38.86, 38.86])
    alive = probability_alive(fit, [350, 800], [38.5, 2.0], [38.86, 38.86])
    assert np.isfinite(expected).all()
    assert expected[0] > 100  # a heavy buyer still active keeps buying
    assert alive[1] < 1e-100  # silent for 36 weeks after 800 purchases: gone


def test_gamma_gamma_reproduces_the_note_on_the_946_repeat_buyers(cdnow) -> None:
    spend = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert spend.customers == 946
    assert spend.p == pytest.approx(6.25, abs=0.01)
    assert spend.q == pytest.approx(3.74, abs=0.01)
    assert spend.gamma == pytest.approx(15.44, abs=0.02)


def test_expected_spend_shrinks_a_customer_toward_the_population_mean(cdnow) -> None:
    spend = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    population = spend.p * spend.gamma / (spend.q - 1)
    few, many = spend.expected_spend([1, 50], [100.0, 100.0])
    assert population < few < many < 100.0
    assert spend.expected_spend([0], [0.0])[0] == pytest.approx(population)


def test_customer_value_is_purchases_times_spend(cdnow, fitted) -> None:
    spend = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    value = customer_value(fitted, spend, 39, [2], [30.43], [38.86], [22.35])
    purchases = conditional_expected_purchases(fitted, 39, [2], [30.43], [38.86])
    assert value[0] == pytest.approx(purchases[0] * spend.expected_spend([2], [22.35])[0])


@pytest.mark.parametrize(
    ("x", "t_x", "age", "words"),
    [
        ([0, 0], [0, 0], [10, 10], "second time"),
        ([1], [12], [10], "between 0 and T"),
        ([-1], [0], [10], "whole number"),
        ([1.5], [2], [10], "whole number"),
        ([], [], [], "no customers"),
        ([1], [float("nan")], [10], "numbers"),
        ([1, 2], [1], [3, 4], "same length"),
    ],
)
def test_data_that_cannot_be_fitted_is_named_not_nan(x, t_x, age, words) -> None:
    with pytest.raises(StatsInputError, match=words):
        fit_bgnbd(x, t_x, age)


def test_spend_model_refuses_too_few_or_constant_buyers() -> None:
    with pytest.raises(StatsInputError, match="at least two"):
        fit_gamma_gamma([1, 0], [10.0, 0.0])
    with pytest.raises(StatsInputError, match="same"):
        fit_gamma_gamma([1, 2, 3], [10.0, 10.0, 10.0])
    with pytest.raises(StatsInputError, match="above 0"):
        fit_gamma_gamma([1, 2], [10.0, -1.0])
