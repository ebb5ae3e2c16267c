"""Erlang C: how many agents a queue of contacts needs for a service level.

The model (M/M/N, no abandonment): contacts arrive at random (Poisson) at rate
lambda, each is handled for an exponentially distributed time of mean AHT, by N
agents who take the next waiting contact in turn. With the offered traffic
A = lambda x AHT (in Erlangs), for N > A:

    P(wait) = C(N, A) = N * B / (N - A * (1 - B))       B = Erlang B(N, A)
    SL(t)   = 1 - P(wait) * exp(-(N - A) * t / AHT)      share answered within t
    ASA     = P(wait) * AHT / (N - A)                    average speed of answer
    occupancy = A / N

Numerically safe for hundreds (thousands) of agents: Erlang B comes from its
recursion B(0) = 1, B(n) = A * B(n-1) / (n + A * B(n-1)), every term between 0
and 1, so there is no factorial and no power of A to overflow.

Staffing (`staff`), step by step:
  1. Refuse impossible inputs (negative volume, zero handling time, a service level
     or occupancy outside (0, 1), shrinkage outside [0, 1)), naming the input.
  2. No contacts: nobody is needed (an empty interval is not an error).
  3. Start at the smallest N above A; walk N up (carrying the Erlang B recursion
     along, one step per agent) until the service level is met.
  4. Raise N until A / N is at most the maximum occupancy.
  5. Scheduled agents = ceil(N / (1 - shrinkage)): people on the roster so that N
     are on the phones after breaks, training and absence.
"""

import math
from dataclasses import dataclass

from retainops.stats import StatsInputError

# Far above any contact centre; a guard against a walk that would never end.
MAX_AGENTS = 100_000


@dataclass(frozen=True)
class Staffing:
    """The answer for one interval: agents on the phones (`agents`), people to schedule
    (`scheduled_agents`) and how the queue performs with `agents`."""

    traffic_erlangs: float
    agents: int
    scheduled_agents: int
    service_level: float
    occupancy: float
    probability_of_waiting: float
    average_speed_of_answer_seconds: float


def erlang_b(agents: int, traffic: float) -> float:
    """Probability that a contact finds every one of `agents` busy in a loss system."""
    if agents < 0:
        raise StatsInputError("The number of agents cannot be negative.")
    if traffic < 0:
        raise StatsInputError("The traffic cannot be negative.")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def _c_from_b(agents: int, traffic: float, b: float) -> float:
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    return agents * b / (agents - traffic * (1.0 - b))


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact waits (all `agents` busy); 1 when the queue is unstable."""
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def performance(
    agents: int, traffic: float, *, aht_seconds: float, target_answer_seconds: float
) -> tuple[float, float, float]:
    """(service level, probability of waiting, average speed of answer in seconds)."""
    return _performance(
        agents, traffic, erlang_b(agents, traffic), aht_seconds, target_answer_seconds
    )


def _performance(
    agents: int, traffic: float, b: float, aht: float, target: float
) -> tuple[float, float, float]:
    if traffic <= 0:
        return 1.0, 0.0, 0.0
    if agents <= traffic:
        return 0.0, 1.0, math.inf
    pw = _c_from_b(agents, traffic, b)
    sl = 1.0 - pw * math.exp(-(agents - traffic) * target / aht)
    asa = pw * aht / (agents - traffic)
    return max(0.0, min(1.0, sl)), pw, asa


def check_inputs(
    *,
    contacts: float,
    interval_minutes: float,
    aht_seconds: float,
    target_answer_seconds: float,
    service_level: float,
    max_occupancy: float,
    shrinkage: float,
) -> dict[str, str]:
    """Every impossible input, by its name, with a sentence (empty when all are possible)."""
    problems: dict[str, str] = {}
    if not math.isfinite(contacts) or contacts < 0:
        problems["contacts"] = "The number of contacts cannot be negative."
    if not math.isfinite(interval_minutes) or interval_minutes <= 0:
        problems["interval_minutes"] = "The interval must be longer than zero minutes."
    if not math.isfinite(aht_seconds) or aht_seconds <= 0:
        problems["aht_seconds"] = "The average handling time must be longer than zero seconds."
    if not math.isfinite(target_answer_seconds) or target_answer_seconds < 0:
        problems["target_answer_seconds"] = "The target answer time cannot be negative."
    if not 0 < service_level < 1:
        problems["service_level"] = "The service level must be between 0 and 1 (0.8 for 80 %)."
    if not 0 < max_occupancy < 1:
        problems["max_occupancy"] = (
            "The maximum occupancy must be above 0 and below 1: at 1 the queue never empties."
        )
    if not 0 <= shrinkage < 1:
        problems["shrinkage"] = "Shrinkage must be at least 0 and below 1 (0.3 for 30 %)."
    return problems


def staff(
    *,
    contacts: float,
    interval_minutes: float = 30,
    aht_seconds: float,
    target_answer_seconds: float,
    service_level: float,
    max_occupancy: float,
    shrinkage: float,
) -> Staffing:
    """Agents needed for `contacts` arriving over `interval_minutes` (see the steps above)."""
    problems = check_inputs(
        contacts=contacts,
        interval_minutes=interval_minutes,
        aht_seconds=aht_seconds,
        target_answer_seconds=target_answer_seconds,
        service_level=service_level,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
    )
    if problems:
        field, sentence = next(iter(problems.items()))
        raise StatsInputError(f"{field}: {sentence}")
    traffic = contacts * aht_seconds / (interval_minutes * 60.0)
    if traffic == 0:
        return Staffing(0.0, 0, 0, 1.0, 0.0, 0.0, 0.0)
    n = math.floor(traffic) + 1
    b = erlang_b(n, traffic)
    sl, pw, asa = _performance(n, traffic, b, aht_seconds, target_answer_seconds)
    while sl < service_level or traffic / n > max_occupancy:
        n += 1
        if n > MAX_AGENTS:
            raise StatsInputError("More than 100000 agents would be needed; check the volume.")
        b = traffic * b / (n + traffic * b)
        sl, pw, asa = _performance(n, traffic, b, aht_seconds, target_answer_seconds)
    scheduled = math.ceil(n / (1.0 - shrinkage) - 1e-9)
    return Staffing(traffic, n, scheduled, sl, traffic / n, pw, asa)


def staff_naive(
    *,
    contacts: float,
    interval_minutes: float = 30,
    aht_seconds: float,
    target_answer_seconds: float,
    service_level: float,
    max_occupancy: float,
    shrinkage: float,
) -> int:
    """The textbook way, for comparison in bench/ only: the Erlang C sum with factorials
    and powers, recomputed from scratch for each agent count. Overflows past ~170 agents."""
    traffic = contacts * aht_seconds / (interval_minutes * 60.0)
    if traffic == 0:
        return 0
    n = math.floor(traffic) + 1
    while True:
        top = traffic**n / math.factorial(n) * n / (n - traffic)
        bottom = sum(traffic**k / math.factorial(k) for k in range(n)) + top
        pw = top / bottom
        sl = 1 - pw * math.exp(-(n - traffic) * target_answer_seconds / aht_seconds)
        if sl >= service_level and traffic / n <= max_occupancy:
            return math.ceil(n / (1 - shrinkage) - 1e-9)
        n += 1
