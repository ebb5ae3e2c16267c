"""Reading settings from the environment, failing loudly on bad values.

Every value RetainOps reads comes through these helpers so that a malformed
value stops start-up with a message naming the variable, instead of surfacing
later as a confusing error deep inside a request.
"""

import math
import os
from itertools import pairwise

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"{name} must be set (see .env.example).")
        if default is None:
            raise ImproperlyConfigured(f"{name} has no default and is not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not math.isfinite(value):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number.")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value:g} must be at least {minimum:g}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value:g} must be at most {maximum:g}.")
    return value


def env_float_list(name: str, default: list[float], *, ascending: bool = False) -> list[float]:
    """Comma-separated numbers; `ascending` requires each to be above the one before."""
    values = []
    for item in env_list(name, [str(d) for d in default]):
        try:
            value = float(item)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a number.") from None
        if not math.isfinite(value):
            raise ImproperlyConfigured(f"{name}: {item!r} is not a finite number.")
        values.append(value)
    if ascending and any(b <= a for a, b in pairwise(values)):
        raise ImproperlyConfigured(f"{name} must list numbers in ascending order.")
    return values


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_fraction(name: str, default: float) -> float:
    """A number strictly between 0 and 1 (a rate, a share)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not 0 < value < 1:
        raise ImproperlyConfigured(f"{name}={value} must lie strictly between 0 and 1.")
    return value
