"""Percentiles of what comparable programs achieved, for realistic targets at sale.

Linear interpolation between order statistics (Hyndman and Fan's definition 7,
NumPy's default and Excel's PERCENTILE.INC), so the agency can check a figure
in a spreadsheet.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retainops.stats import StatsInputError


@dataclass(frozen=True)
class Spread:
    """The 25th, 50th and 75th percentiles of a set of values, and how many there were."""

    p25: float
    p50: float
    p75: float
    count: int


def spread(values: Sequence[float]) -> Spread:
    """The quartiles of `values` (finite numbers; at least one)."""
    if not values:
        raise StatsInputError("There are no comparable values to take percentiles of.")
    data = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(data)):
        raise StatsInputError("A comparable value is not a finite number.")
    p25, p50, p75 = np.percentile(data, [25, 50, 75])
    return Spread(float(p25), float(p50), float(p75), int(data.size))


def beyond_upper_quartile(target: float, quartiles: Spread, *, higher_is_better: bool) -> bool:
    """Whether `target` promises more than three in four comparable programs achieved:
    above the 75th percentile when higher is better, below the 25th when lower is."""
    if not math.isfinite(target):
        raise StatsInputError("The target is not a finite number.")
    return target > quartiles.p75 if higher_is_better else target < quartiles.p25


def linear_projection(done: float, elapsed_days: int, period_days: int) -> float:
    """What `done` after `elapsed_days` becomes by the end of `period_days` at the same rate."""
    if elapsed_days <= 0 or period_days <= 0:
        raise StatsInputError("The elapsed and total days must both be positive.")
    return done / elapsed_days * period_days


def slope(values: Sequence[float]) -> float:
    """The least-squares slope of `values` against their position (the trend per step)."""
    if len(values) < 2:
        raise StatsInputError("A trend needs at least two values.")
    y = np.asarray(values, dtype=float)
    x = np.arange(y.size, dtype=float)
    return float(np.polyfit(x, y, 1)[0])
