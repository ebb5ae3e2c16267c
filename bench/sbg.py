"""The sBG fit (retainops.stats.sbg) against a plain SciPy minimisation of the same
likelihood, and against lifetimes / pymc-marketing where they install.

Baseline, measured in the same run: Nelder-Mead on (a, b) directly, the likelihood
written term by term with scipy.special.beta (the spreadsheet way). Cases: the 2007
paper's two cohorts and a synthetic book of N customers (sizes flag: --small).

    python3 -m uv run python -m bench.sbg [--small]
"""

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import beta as beta_fn

from retainops.stats import sbg

HERE = Path(__file__).resolve().parent
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def plain_fit(alive: list[int]) -> tuple[float, float, float]:
    def nll(params: np.ndarray) -> float:
        a, b = params
        if a <= 0 or b <= 0:
            return 1e18
        total = 0.0
        for t in range(1, len(alive)):
            total += (alive[t - 1] - alive[t]) * np.log(beta_fn(a + 1, b + t - 1) / beta_fn(a, b))
        total += alive[-1] * np.log(beta_fn(a, b + len(alive) - 1) / beta_fn(a, b))
        return -total

    result = minimize(
        nll, x0=[1.0, 1.0], method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-8}
    )
    return float(result.x[0]), float(result.x[1]), -float(result.fun)


def synthetic(n: int, periods: int, seed: int = 7) -> list[int]:
    rng = np.random.default_rng(seed)
    theta = rng.beta(0.8, 2.5, size=n)
    lifetime = rng.geometric(theta)
    return [int(np.sum(lifetime > t)) for t in range(periods + 1)]


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), out


def other_libraries() -> str:
    notes = []
    for name in ("lifetimes", "pymc_marketing"):
        try:
            __import__(name)
            notes.append(f"{name}: importable (not measured here)")
        except ImportError:
            notes.append(f"{name}: not installed")
    return "; ".join(notes)


def main() -> None:
    small = "--small" in sys.argv
    repeat = 5 if small else 30
    cases = [("Regular (2007)", REGULAR), ("High End (2007)", HIGH_END)]
    cases.append(("synthetic 10,000 x 12", synthetic(2_000 if small else 10_000, 12)))
    lines = [
        f"\n### sBG fit ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC{', small' if small else ''})\n",
        "| case | a, b (ours) | a, b (plain SciPy) | LL ours - plain "
        "| median ms ours | median ms plain | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, alive in cases:
        ms_ours, ours = timed(lambda alive=alive: sbg.fit_alive(alive), repeat)
        ms_plain, plain = timed(lambda alive=alive: plain_fit(alive), repeat)
        assert isinstance(ours, sbg.SbgFit) and isinstance(plain, tuple)
        lines.append(
            f"| {label} | {ours.a:.3f}, {ours.b:.3f} | {plain[0]:.3f}, {plain[1]:.3f} | "
            f"{ours.log_likelihood - plain[2]:+.4f} | {ms_ours:.2f} | {ms_plain:.2f} | "
            f"{ms_ours / ms_plain:.2f}x |"
        )
    lines.append(
        f"\nOther libraries: {other_libraries()}. lifetimes 0.11.3 installs with "
        "`uv add --group bench lifetimes` but has no shifted-beta-geometric model (only "
        "BG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma), so there is nothing of it to compare; "
        "pymc-marketing's ShiftedBetaGeoModel is a Bayesian fit (PyMC) and is not measured.\n"
    )
    text = "\n".join(lines)
    print(text)
    with (HERE / "RESULTS.md").open("a") as handle:
        handle.write(text + "\n")


if __name__ == "__main__":
    main()
