"""One health signal per module, each defining `PROVIDER` (see health/signals.py)."""
