"""The quartiles used for realistic targets, checked against known sets."""

import pytest

from retainops.stats import StatsInputError
from retainops.stats.benchmarks import beyond_upper_quartile, linear_projection, slope, spread


def test_quartiles_of_one_to_nine_are_the_textbook_ones():
    # Definition 7 on 1..9: positions 1+0.25*8 = 3, 5 and 7.
    quartiles = spread([9, 1, 8, 2, 7, 3, 6, 4, 5])
    assert (quartiles.p25, quartiles.p50, quartiles.p75, quartiles.count) == (3.0, 5.0, 7.0, 9)


def test_quartiles_interpolate_between_values_as_a_spreadsheet_does():
    # PERCENTILE.INC({1,2,3,4}, 0.25) = 1.75, 0.5 = 2.5, 0.75 = 3.25
    quartiles = spread([4.0, 1.0, 3.0, 2.0])
    assert quartiles.p25 == pytest.approx(1.75, abs=1e-12)
    assert quartiles.p50 == pytest.approx(2.5, abs=1e-12)
    assert quartiles.p75 == pytest.approx(3.25, abs=1e-12)


def test_over_promise_is_beyond_the_better_quartile_in_the_kpi_direction():
    quartiles = spread([1, 2, 3, 4, 5])
    assert beyond_upper_quartile(4.5, quartiles, higher_is_better=True)
    assert not beyond_upper_quartile(4.0, quartiles, higher_is_better=True)
    assert beyond_upper_quartile(1.5, quartiles, higher_is_better=False)
    assert not beyond_upper_quartile(2.0, quartiles, higher_is_better=False)


def test_no_values_is_a_sentence_not_a_nan():
    with pytest.raises(StatsInputError, match="no comparable values"):
        spread([])
    with pytest.raises(StatsInputError, match="finite"):
        spread([1.0, float("nan")])


def test_projection_and_slope():
    assert linear_projection(100.0, 10, 30) == pytest.approx(300.0)
    assert slope([1.0, 3.0, 5.0]) == pytest.approx(2.0)
    with pytest.raises(StatsInputError):
        linear_projection(1.0, 0, 30)
    with pytest.raises(StatsInputError):
        slope([1.0])
