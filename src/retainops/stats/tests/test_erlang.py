"""Erlang C against two published worked examples, and its behaviour at the edges.

Sources (figures quoted from the articles; tolerances stated per assertion):
- Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
  100 calls in 30 minutes, AHT 180 s, 80 % answered in 20 s, maximum occupancy 85 %,
  shrinkage 30 %. Traffic 10 Erlangs; with 11 agents the probability a call waits is
  68.21 %; 14 agents reach the service level (88.8 %), ASA about 7.8 s, occupancy 71.4 %;
  20 agents to schedule after shrinkage.
- Westbay Engineers, "The Erlang-C formula" (erlang.com): 360 calls per half hour,
  4-minute calls, 55 agents, target 15 s. Traffic 48 Erlangs, occupancy 0.873,
  probability of waiting 0.239, ASA 8.2 s, service level 84.6 %.
"""

import math

import pytest

from retainops.stats import StatsInputError
from retainops.stats.erlang import erlang_b, erlang_c, performance, staff, staff_naive

HELPER = {
    "contacts": 100,
    "interval_minutes": 30,
    "aht_seconds": 180,
    "target_answer_seconds": 20,
    "service_level": 0.8,
    "max_occupancy": 0.85,
    "shrinkage": 0.3,
}


def test_call_centre_helper_probability_of_waiting_with_eleven_agents():
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)


def test_call_centre_helper_staffing():
    result = staff(**HELPER)
    assert result.traffic_erlangs == pytest.approx(10.0)
    assert result.agents == 14
    assert result.scheduled_agents == 20
    assert result.service_level == pytest.approx(0.888, abs=1e-3)
    assert result.occupancy == pytest.approx(0.714, abs=1e-3)
    assert result.average_speed_of_answer_seconds == pytest.approx(7.8, abs=0.05)


def test_thirteen_agents_fall_just_short_of_eighty_percent():
    sl, _, _ = performance(13, 10.0, aht_seconds=180, target_answer_seconds=20)
    assert 0.79 < sl < 0.8


def test_westbay_worked_example():
    sl, pw, asa = performance(55, 48.0, aht_seconds=240, target_answer_seconds=15)
    assert pytest.approx(0.873, abs=5e-4) == 48 / 55
    assert pw == pytest.approx(0.239, abs=1e-3)
    assert asa == pytest.approx(8.2, abs=0.05)
    assert sl == pytest.approx(0.846, abs=1e-3)


def test_erlang_b_small_case_by_hand():
    # B(1, A) = A / (1 + A); B(2, 1) = (1/2) / (1 + 1/2) / ... = 0.2
    assert erlang_b(1, 2.0) == pytest.approx(2 / 3)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)


def test_hundreds_of_agents_stay_finite_where_factorials_overflow():
    big = {**HELPER, "contacts": 6000}
    result = staff(**big)
    assert result.traffic_erlangs == pytest.approx(600)
    assert result.agents == math.ceil(600 / 0.85)  # the occupancy cap binds at this size
    assert math.isfinite(result.probability_of_waiting)
    assert result.service_level >= 0.8
    with pytest.raises(OverflowError):
        staff_naive(**big)


def test_iterative_and_naive_agree_where_naive_works():
    for contacts in (5, 40, 100, 250):
        kw = {**HELPER, "contacts": contacts}
        assert staff(**kw).scheduled_agents == staff_naive(**kw)


def test_no_contacts_needs_nobody():
    result = staff(**{**HELPER, "contacts": 0})
    assert (result.agents, result.scheduled_agents, result.probability_of_waiting) == (0, 0, 0.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_occupancy", 1.0),
        ("aht_seconds", 0),
        ("contacts", -1),
        ("service_level", 1.2),
        ("shrinkage", 1.0),
        ("interval_minutes", 0),
    ],
)
def test_impossible_targets_are_refused_naming_the_field(field, value):
    with pytest.raises(StatsInputError, match=field):
        staff(**{**HELPER, field: value})


def test_occupancy_cap_adds_agents_beyond_service_level():
    loose = staff(**{**HELPER, "max_occupancy": 0.99})
    tight = staff(**{**HELPER, "max_occupancy": 0.6})
    assert tight.agents > loose.agents
    assert tight.occupancy <= 0.6
