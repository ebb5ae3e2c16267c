"""RetainOps' statistics: retention, purchase and queueing models.

Nothing here imports Django or any RetainOps app (import-linter holds the
line): the models take arrays and numbers, return dataclasses, and are tested
against the published papers alone. The apps call them.

Each model is a module of its own (shifted-beta-geometric retention, BG/NBD
and Gamma-Gamma purchases, Erlang C queues, ...). A model that cannot be
fitted raises `StatsInputError` with a sentence a person can act on, never
returns NaN.
"""


class StatsInputError(ValueError):
    """The data cannot be fitted or computed; the message says why, in words."""
