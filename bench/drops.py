"""The week's staffing for 50 concurrent drops: Erlang C by the Erlang B recursion
(stats/erlang.py, as the staffing page runs it) against the textbook factorial sum
recomputed for each agent count, measured in the same run on the same intervals."""

import argparse
import math
import random
import time
from datetime import date
from pathlib import Path

from retainops.stats.erlang import staff, staff_naive

TARGET = {
    "aht_seconds": 180,
    "target_answer_seconds": 20,
    "service_level": 0.8,
    "max_occupancy": 0.85,
    "shrinkage": 0.3,
}


def week_volumes(drops: int, seed: int = 15) -> list[float]:
    """Contacts per half hour over a week from `drops` drops at random instants."""
    rng = random.Random(seed)
    volumes = [0.0] * (7 * 48)
    for _ in range(drops):
        start = rng.randrange(7 * 48)
        responses = rng.uniform(200, 3000)
        half_life = rng.choice([1.5, 8, 12, 60, 96])  # intervals
        weights = [2 ** (-i / half_life) for i in range(7 * 48 - start)]
        total = math.fsum(weights)
        for i, w in enumerate(weights):
            volumes[start + i] += responses * w / total
    return volumes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drops", type=int, default=50)
    parser.add_argument("--small", action="store_true", help="10 drops, for development")
    args = parser.parse_args()
    drops = 10 if args.small else args.drops
    volumes = week_volumes(drops)
    started = time.perf_counter()
    fast = [staff(contacts=v, interval_minutes=30, **TARGET).scheduled_agents for v in volumes]
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    slow: list[int | None] = []
    overflowed = 0
    for v in volumes:
        try:
            slow.append(staff_naive(contacts=v, interval_minutes=30, **TARGET))
        except OverflowError:
            slow.append(None)
            overflowed += 1
    slow_s = time.perf_counter() - started
    agree = sum(1 for f, s in zip(fast, slow, strict=True) if s is not None and f == s)
    line = (
        f"{date.today()} drops: {drops} drops, {len(volumes)} intervals, "
        f"peak {max(volumes):.0f} contacts, "
        f"peak {max(fast)} scheduled; recursion {fast_s * 1000:.1f} ms, factorial baseline "
        f"{slow_s * 1000:.1f} ms ({slow_s / fast_s:.1f}x), "
        f"{overflowed} intervals overflowed the baseline, "
        f"{agree} agree"
    )
    print(line)
    if not args.small:
        with (Path(__file__).parent / "RESULTS.md").open("a") as results:
            results.write(f"\n- {line}\n")


if __name__ == "__main__":
    main()
