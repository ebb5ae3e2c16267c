"""The registry of health signals.

A signal is a measured fact about a client at an instant: days since the last
touchpoint, complaints whose clock was breached, pauses asked for. Each lives in one
small file of `health/providers/` that defines `PROVIDER`; the app registers every
such file at start-up, so adding a signal is adding a file.

A provider is set-based and point in time: `values(client_ids, as_of=)` answers
every client at once, in a fixed number of queries, using nothing recorded after
`as_of` (the churn model learns from the signals as they were each month).
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


Values = Callable[..., dict[int, float | None]]


@dataclass(frozen=True)
class SignalProvider:
    """One signal: its key, label, unit, which way is good, its values and its words."""

    key: str
    label: str
    unit: str
    direction: Direction
    values: Values
    describe: Callable[[float | None], str]
    # False when the records keep only the latest state, so a past value cannot be
    # rebuilt faithfully: the scorecard may use it, the churn model does not learn from it.
    point_in_time: bool = True
    # True when "unknown" is no evidence either way (no survey answered, no KPI target
    # set): the scorecard then leaves the measure out rather than award it no points.
    unknown_is_neutral: bool = False

    def values_for(self, client_ids: Iterable[int], *, as_of: datetime) -> dict[int, float | None]:
        ids = list(client_ids)
        found = self.values(ids, as_of=as_of) if ids else {}
        return {cid: found.get(cid) for cid in ids}


_providers: dict[str, SignalProvider] = {}


def register_provider(provider: SignalProvider) -> None:
    """Make a signal available to scorecards and the churn model; same key replaces."""
    _providers[provider.key] = provider


def providers() -> list[SignalProvider]:
    return sorted(_providers.values(), key=lambda p: p.key)


def provider(key: str) -> SignalProvider:
    try:
        return _providers[key]
    except KeyError:
        raise KeyError(f"No health signal is called {key!r}.") from None


def keys() -> list[str]:
    return sorted(_providers)


def read_signals(
    wanted: Iterable[str], client_ids: Iterable[int], *, as_of: datetime
) -> dict[str, dict[int, float | None]]:
    """Every wanted signal for every client at `as_of`: {key: {client id: value}}."""
    ids = list(client_ids)
    return {key: provider(key).values_for(ids, as_of=as_of) for key in wanted}


def load_providers() -> None:
    """Register the PROVIDER of every module in health/providers/."""
    from retainops.health import providers as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found = getattr(module, "PROVIDER", None)
        if isinstance(found, SignalProvider):
            register_provider(found)
