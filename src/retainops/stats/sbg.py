"""The shifted-beta-geometric (sBG) model of contractual retention.

Fader and Hardie (2007), "How to Project Customer Retention", Journal of
Interactive Marketing 21(1): at each renewal a customer with churn probability
theta leaves with probability theta; theta varies across customers as
Beta(a, b). With T the period in which a customer leaves (T = 1, 2, ...):

    P(T = t) = B(a + 1, b + t - 1) / B(a, b)
    S(t)     = P(T > t) = B(a, b + t) / B(a, b)
    r(t)     = S(t) / S(t - 1) = (b + t - 1) / (a + b + t - 1)

Fader and Hardie (2010), "Customer-Base Valuation in a Contractual Setting: The
Perils of Ignoring Heterogeneity", Marketing Science 29(1): the discounted
expected residual lifetime of a customer who has made n renewals, counted
just before the next renewal decision, at discount rate d per period:

    DERL(d | a, b, n) = B(a, b + n + 1) / B(a, b + n)
                        * 2F1(1, b + n + 1; a + b + n + 1; 1 / (1 + d))

The fit maximises the likelihood over log a and log b, so the optimiser moves
freely and the parameters stay positive. Customers are counted by renewals:
one who left after r renewals contributes log P(T = r + 1); one still active
after r renewals contributes log S(r) (right-censored). A single cohort's
alive counts n_0 >= n_1 >= ... >= n_T are the special case of n_{t-1} - n_t
leaving after t - 1 renewals and n_T still active after T.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betaln, hyp2f1

from retainops.stats import StatsInputError

Counts = Sequence[float] | NDArray[np.float64]

# Parameters beyond these bounds mean the likelihood has no interior maximum
# (nobody ever left, or everybody left at once): the fit is refused.
_LOG_BOUND = 12.0  # e^12 ~ 160,000; e^-12 ~ 6e-6


@dataclass(frozen=True)
class SbgFit:
    """A fitted sBG model: its parameters, the log-likelihood, and what it was fitted on."""

    a: float
    b: float
    log_likelihood: float
    customers: int
    periods: int
    iterations: int

    @property
    def mean_churn(self) -> float:
        """The average churn probability across customers, a / (a + b)."""
        return self.a / (self.a + self.b)

    def survival(self, up_to: int) -> list[float]:
        """S(0) ... S(up_to): the share of a starting cohort still a customer after t periods."""
        return survival(self.a, self.b, up_to)

    def retention(self, up_to: int) -> list[float]:
        """r(1) ... r(up_to): the share of those alive at t - 1 who renew at t."""
        return retention(self.a, self.b, up_to)

    def derl(self, renewals: int, discount_rate: float) -> float:
        """The discounted expected residual lifetime, in periods, after `renewals` renewals."""
        return derl(self.a, self.b, renewals, discount_rate)


def _check_params(a: float, b: float) -> None:
    if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
        raise StatsInputError("The parameters a and b must both be positive numbers.")


def _check_horizon(up_to: int, name: str = "project_to") -> None:
    if isinstance(up_to, bool) or not isinstance(up_to, int | np.integer) or up_to < 0:
        raise StatsInputError(f"{name} must be a whole number of periods, 0 or more.")


def check_discount_rate(discount_rate: float) -> float:
    """The rate as a float, or a StatsInputError saying it must lie strictly between 0 and 1."""
    try:
        rate = float(discount_rate)
    except (TypeError, ValueError):
        raise StatsInputError("The discount rate must be a number between 0 and 1.") from None
    if not np.isfinite(rate) or not 0.0 < rate < 1.0:
        raise StatsInputError(
            f"The discount rate must lie strictly between 0 and 1 (got {discount_rate})."
        )
    return rate


def survival(a: float, b: float, up_to: int) -> list[float]:
    """S(t) = B(a, b + t) / B(a, b) for t = 0 ... up_to."""
    _check_params(a, b)
    _check_horizon(up_to)
    t = np.arange(up_to + 1, dtype=float)
    return [float(v) for v in np.exp(betaln(a, b + t) - betaln(a, b))]


def retention(a: float, b: float, up_to: int) -> list[float]:
    """r(t) = (b + t - 1) / (a + b + t - 1) for t = 1 ... up_to."""
    _check_params(a, b)
    _check_horizon(up_to)
    t = np.arange(1, up_to + 1, dtype=float)
    return [float(v) for v in (b + t - 1) / (a + b + t - 1)]


def derl(a: float, b: float, renewals: int, discount_rate: float) -> float:
    """DERL(d | a, b, n) of a customer who has made `renewals` = n renewals (closed form)."""
    _check_params(a, b)
    _check_horizon(renewals, "renewals")
    d = check_discount_rate(discount_rate)
    n = float(renewals)
    ratio = np.exp(betaln(a, b + n + 1) - betaln(a, b + n))
    value = float(ratio * hyp2f1(1.0, b + n + 1, a + b + n + 1, 1.0 / (1.0 + d)))
    if not np.isfinite(value) or value < 0:
        raise StatsInputError("The residual lifetime could not be computed for these parameters.")
    return value


def derl_curve(a: float, b: float, up_to: int, discount_rate: float) -> list[float]:
    """DERL after 0, 1, ..., up_to renewals."""
    return [derl(a, b, n, discount_rate) for n in range(up_to + 1)]


# Fitting ------------------------------------------------------------------------------


def _counts(values: Counts, name: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise StatsInputError(f"{name} must be a list of counts.") from None
    if array.ndim != 1:
        raise StatsInputError(f"{name} must be a flat list of counts.")
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array != np.round(array)):
        raise StatsInputError(f"{name} must hold whole numbers, 0 or more.")
    return array


def lost_and_active_from_alive(
    alive: Counts,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A cohort's alive counts as (left after r renewals, still active after r renewals)."""
    counts = _counts(alive, "alive")
    if counts.size < 2:
        raise StatsInputError(
            "alive needs the cohort's size and at least one later count (two numbers or more)."
        )
    if counts[0] <= 0:
        raise StatsInputError(
            "alive must start with the cohort's size, above 0: the cohort is empty."
        )
    rises = np.flatnonzero(np.diff(counts) > 0)
    if rises.size:
        t = int(rises[0]) + 1
        raise StatsInputError(
            f"alive counts must not rise: period {t} has {counts[t]:g}, "
            f"more than the {counts[t - 1]:g} of period {t - 1}."
        )
    lost = counts[:-1] - counts[1:]
    active = np.zeros_like(counts)
    active[-1] = counts[-1]
    return lost, active


def _negative_log_likelihood(
    log_params: NDArray[np.float64],
    t_lost: NDArray[np.float64],
    n_lost: NDArray[np.float64],
    r_active: NDArray[np.float64],
    n_active: NDArray[np.float64],
) -> float:
    a, b = np.exp(log_params)
    base = betaln(a, b)
    ll = np.dot(n_lost, betaln(a + 1.0, b + t_lost - 1.0) - base)
    ll += np.dot(n_active, betaln(a, b + r_active) - base)
    return float(-ll)


def log_likelihood(a: float, b: float, lost: Counts, active: Counts) -> float:
    """The sBG log-likelihood of customers lost / still active after r = 0, 1, ... renewals."""
    _check_params(a, b)
    lost_a, active_a = _counts(lost, "lost"), _counts(active, "active")
    t = np.arange(1, lost_a.size + 1, dtype=float)
    r = np.arange(active_a.size, dtype=float)
    return -_negative_log_likelihood(np.log([a, b]), t, lost_a, r, active_a)


def fit(lost: Counts, active: Counts) -> SbgFit:
    """Fit a and b by maximum likelihood.

    `lost[r]` customers left after r renewals (in period r + 1); `active[r]` are still
    customers after r renewals (their next decision not yet seen).
    """
    lost_a, active_a = _counts(lost, "lost"), _counts(active, "active")
    customers = float(lost_a.sum() + active_a.sum())
    if customers <= 0:
        raise StatsInputError("The cohort is empty: there is no customer to fit.")
    if lost_a.sum() == 0:
        raise StatsInputError(
            "Nobody has left yet: with no churn the model has no finite fit; wait for renewals."
        )
    if active_a.sum() == 0 and lost_a.sum() == lost_a[0]:
        raise StatsInputError(
            "Every customer left at the first renewal: the model has no finite fit."
        )
    t_lost = np.arange(1, lost_a.size + 1, dtype=float)
    r_active = np.arange(active_a.size, dtype=float)
    keep_l, keep_a = lost_a > 0, active_a > 0
    args = (t_lost[keep_l], lost_a[keep_l], r_active[keep_a], active_a[keep_a])
    result = minimize(
        _negative_log_likelihood,
        x0=np.zeros(2),
        args=args,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND - 1, _LOG_BOUND + 1)] * 2,
    )
    log_a, log_b = (float(v) for v in result.x)
    if (
        not result.success
        or not np.isfinite(result.fun)
        or max(abs(log_a), abs(log_b)) >= _LOG_BOUND
    ):
        raise StatsInputError(
            "The fit did not converge: these counts have no maximum-likelihood estimate "
            "(too few renewals, or churn that the model cannot describe)."
        )
    return SbgFit(
        a=float(np.exp(log_a)),
        b=float(np.exp(log_b)),
        log_likelihood=-float(result.fun),
        customers=int(customers),
        periods=int(max(lost_a.size, active_a.size - 1)),
        iterations=int(result.nit),
    )


def fit_alive(alive: Counts) -> SbgFit:
    """Fit one cohort's alive counts n_0, n_1, ..., n_T (n_0 the cohort's size)."""
    lost, active = lost_and_active_from_alive(alive)
    return fit(lost, active)
