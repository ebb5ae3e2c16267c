"""Purchases of customers who leave silently: BG/NBD and Gamma-Gamma.

BG/NBD (Fader, Hardie and Lee 2005, "Counting Your Customers the Easy Way: An
Alternative to the Pareto/NBD Model", Marketing Science 24(2)): while alive a
customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha); after each
purchase the customer drops out with probability p ~ Beta(a, b). Each customer
is summarised by `frequency` x (repeat purchases), `recency` t_x (time of the
last purchase since the first) and `T` (time since the first purchase).

Gamma-Gamma (Fader, Hardie and Lee 2005, "RFM and CLV: Using Iso-Value Curves
for Customer Base Analysis", Journal of Marketing Research 42(4), and Fader and
Hardie's note "The Gamma-Gamma Model of Monetary Value"): a customer's spend
per transaction is Gamma(p, nu) with nu ~ Gamma(q, gamma), fitted on repeat
buyers from their mean spend.

Both likelihoods are written in log space (gammaln, betaln, logaddexp), so a
customer with hundreds of purchases neither overflows nor underflows. Identical
customer summaries are collapsed into one row with a weight before fitting,
which makes a million customers cost about as much as their distinct summaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from retainops.stats import StatsInputError

Array = NDArray[np.float64]


@dataclass(frozen=True)
class BgNbdFit:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Array:
        """Expected purchases in the next `t` periods of each customer (paper, eq. 10)."""
        return conditional_expected_purchases(self, t, frequency, recency, T)

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Array:
        """Probability each customer is still a customer at T."""
        return probability_alive(self, frequency, recency, T)


@dataclass(frozen=True)
class GammaGammaFit:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Array:
        """Expected mean spend per transaction of each customer; the population mean
        for a customer without repeat purchases."""
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        if self.q <= 1:
            raise StatsInputError(
                "The fitted spend model has no finite mean (q is at most 1): too few repeat "
                "buyers or too little variation in what they spend."
            )
        population = self.p * self.gamma / (self.q - 1)
        weighted = self.p * (self.gamma + x * m) / (self.p * x + self.q - 1)
        return np.where(x > 0, weighted, population)


# Input checks -----------------------------------------------------------------------------


def _summaries(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[Array, Array, Array]:
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    age = np.asarray(T, dtype=float)
    if not (x.shape == t_x.shape == age.shape) or x.ndim != 1:
        raise StatsInputError("Frequency, recency and T must be lists of the same length.")
    if x.size == 0:
        raise StatsInputError("There are no customers to fit.")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(age).all()):
        raise StatsInputError("Frequency, recency and T must be numbers, not empty or infinite.")
    if (x < 0).any() or (np.floor(x) != x).any():
        raise StatsInputError("Frequency counts repeat purchases: a whole number, 0 or more.")
    if (t_x < 0).any() or (t_x > age).any():
        raise StatsInputError(
            "Recency must lie between 0 and T: the last purchase cannot come after the end."
        )
    if ((x > 0) & (t_x == 0)).any():
        raise StatsInputError("A customer with repeat purchases needs a recency above 0.")
    if (age <= 0).any():
        raise StatsInputError("T (the time since the first purchase) must be above 0.")
    return x, t_x, age


def _collapse(*columns: Array) -> tuple[list[Array], Array]:
    """Distinct rows of the columns with how many times each occurs."""
    stacked = np.column_stack(columns)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float)


# BG/NBD -----------------------------------------------------------------------------------


def bgnbd_log_likelihood(
    params: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Array:
    """The log-likelihood of each customer under (r, alpha, a, b) (paper, eq. 6)."""
    r, alpha, a, b = (float(v) for v in np.asarray(params, dtype=float))
    x, t_x, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return _bgnbd_ll(r, alpha, a, b, x, t_x, age)


def _bgnbd_ll(
    r: float, alpha: float, a: float, b: float, x: Array, t_x: Array, age: Array
) -> Array:
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    beta_ab = betaln(a, b)
    still = betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + age)
    repeat = x > 0
    dropped = np.full_like(x, -np.inf)
    xr = x[repeat]
    dropped[repeat] = betaln(a + 1, b + xr - 1) - beta_ab - (r + xr) * np.log(alpha + t_x[repeat])
    return np.asarray(common + np.logaddexp(still, dropped), dtype=float)


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    collapse: bool = True,
) -> BgNbdFit:
    """Maximum-likelihood (r, alpha, a, b) for the customers' (x, t_x, T).

    Raises StatsInputError when the data cannot carry the model: no customer with a
    repeat purchase, or a fit that does not converge."""
    x, t_x, age = _summaries(frequency, recency, T)
    if not (x > 0).any():
        raise StatsInputError(
            "No customer has bought a second time: the model needs repeat purchases to "
            "tell how often customers buy."
        )
    if collapse:
        (x_u, t_u, age_u), weight = _collapse(x, t_x, age)
    else:
        x_u, t_u, age_u, weight = x, t_x, age, np.ones_like(x)
    total = weight.sum()
    # Scale time so the starting point suits any unit (days, weeks).
    scale = float(age.max())

    # alpha is fitted in units of `scale`: alpha = exp(theta) * scale.
    def scaled(log_params: Array) -> float:
        r, alpha_s, a, b = np.exp(log_params)
        ll = _bgnbd_ll(r, alpha_s * scale, a, b, x_u, t_u, age_u)
        return -float(np.dot(weight, ll)) / total

    start = np.log(np.array([1.0, 0.1, 1.0, 1.0]))
    result = minimize(scaled, start, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 4)
    if not np.isfinite(result.fun):
        raise StatsInputError("The purchase model could not be fitted to these customers.")
    polished = minimize(
        scaled,
        result.x,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4000},
    )
    best = polished if polished.fun <= result.fun else result
    r, alpha_s, a, b = np.exp(best.x)
    if np.isclose(np.abs(best.x), 12.0, atol=1e-3).any():
        raise StatsInputError(
            "The purchase model did not settle on finite values: the customers' purchases "
            "carry too little information (too few repeat buyers or too short a history)."
        )
    return BgNbdFit(
        r=float(r),
        alpha=float(alpha_s * scale),
        a=float(a),
        b=float(b),
        log_likelihood=float(-best.fun * total),
        customers=int(total),
    )


def probability_alive(
    fit: BgNbdFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Array:
    """P(alive | x, t_x, T) (Fader, Hardie and Lee 2008 note, eq. 1), in log space."""
    x, t_x, age = _summaries(frequency, recency, T)
    log_odds = np.full_like(x, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    log_odds[repeat] = (
        np.log(fit.a)
        - np.log(fit.b + xr - 1)
        + (fit.r + xr) * (np.log(fit.alpha + age[repeat]) - np.log(fit.alpha + t_x[repeat]))
    )
    return np.asarray(np.exp(-np.logaddexp(0.0, log_odds)), dtype=float)


def conditional_expected_purchases(
    fit: BgNbdFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T] (paper, eq. 10)."""
    x, t_x, age = _summaries(frequency, recency, T)
    horizon = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    if (horizon < 0).any() or not np.isfinite(horizon).all():
        raise StatsInputError("The horizon t must be a number of periods, 0 or more.")
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    if abs(a - 1) < 1e-9:
        raise StatsInputError(
            "The fitted drop-out has a = 1 exactly, where the formula is undefined; "
            "refit on more customers."
        )
    z = horizon / (alpha + age + horizon)
    log_ratio = (r + x) * (np.log(alpha + age) - np.log(alpha + age + horizon))
    hyper = hyp2f1(r + x, b + x, a + b + x - 1, z)
    bought = 1.0 - np.exp(log_ratio) * hyper
    numerator = (a + b + x - 1) / (a - 1) * bought
    alive = probability_alive(fit, x, t_x, age)
    # 1 / (1 + delta * ...) is exactly P(alive).
    expected = numerator * alive
    if not np.isfinite(expected).all():
        raise StatsInputError("Expected purchases could not be computed for some customers.")
    return np.asarray(np.maximum(expected, 0.0), dtype=float)


# Gamma-Gamma ------------------------------------------------------------------------------


def _gg_ll(p: float, q: float, gamma: float, x: Array, m: Array) -> Array:
    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m),
        dtype=float,
    )


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaFit:
    """Maximum-likelihood (p, q, gamma) on the repeat buyers among the customers
    (frequency > 0, monetary_value = mean spend of their repeat purchases)."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if x.shape != m.shape or x.ndim != 1:
        raise StatsInputError("Frequency and monetary value must be lists of the same length.")
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise StatsInputError("Frequency and monetary value must be numbers.")
    repeat = x > 0
    if ((m[repeat]) <= 0).any():
        raise StatsInputError("A repeat buyer's mean spend must be above 0.")
    x, m = x[repeat], m[repeat]
    if x.size < 2:
        raise StatsInputError("The spend model needs at least two customers with repeat purchases.")
    if np.allclose(m, m[0]):
        raise StatsInputError(
            "Every repeat buyer spends the same: the spend model has nothing to fit."
        )
    (x_u, m_u), weight = _collapse(x, m)
    total = weight.sum()
    level = float(np.mean(m))

    def objective(log_params: Array) -> float:
        p, q, g = np.exp(log_params)
        return -float(np.dot(weight, _gg_ll(p, q, g * level, x_u, m_u))) / total

    start = np.log(np.array([1.0, 1.0, 1.0]))
    result = minimize(objective, start, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 3)
    polished = minimize(
        objective,
        result.x,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4000},
    )
    best = polished if polished.fun <= result.fun else result
    if not np.isfinite(best.fun) or np.isclose(np.abs(best.x), 12.0, atol=1e-3).any():
        raise StatsInputError("The spend model could not be fitted to these customers.")
    p, q, g = np.exp(best.x)
    return GammaGammaFit(
        p=float(p),
        q=float(q),
        gamma=float(g * level),
        log_likelihood=float(-best.fun * total),
        customers=int(total),
    )


def customer_value(
    fit: BgNbdFit,
    spend: GammaGammaFit,
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
) -> Array:
    """Undiscounted value of each customer over the next `t` periods: expected
    purchases times expected spend per purchase."""
    purchases = conditional_expected_purchases(fit, t, frequency, recency, T)
    return np.asarray(purchases * spend.expected_spend(frequency, monetary_value), dtype=float)
