"""Scoring clients with the newest trained churn model, with reasons in words."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from retainops.health import signals
from retainops.health.choices import ModelState
from retainops.health.models import ChurnModelRun

if TYPE_CHECKING:
    # scikit-learn takes seconds to import: loaded when a model is first read, not
    # at every process start.
    from retainops.stats.churn import ChurnModel


def latest_model() -> ChurnModelRun | None:
    return (
        ChurnModelRun.objects.filter(state=ModelState.TRAINED)
        .defer("fitted")
        .order_by("-trained_at", "-id")
        .first()
    )


@lru_cache(maxsize=4)
def _loaded(pk: int) -> ChurnModel:
    from retainops.stats.churn import ChurnModel

    row = ChurnModelRun.objects.only("fitted").get(pk=pk)
    return ChurnModel.loads(bytes(row.fitted or b""))


def fitted(run: ChurnModelRun) -> ChurnModel:
    return _loaded(run.pk)


def risks(
    run: ChurnModelRun, client_ids: list[int], values: Mapping[str, Mapping[int, float | None]]
) -> dict[int, tuple[float, list[dict[str, Any]]]]:
    """Each client's risk and its reasons, from signal values already read."""
    model = fitted(run)
    if not client_ids:
        return {}
    rows = [[values.get(name, {}).get(cid) for name in model.names] for cid in client_ids]
    matrix = np.array([[np.nan if v is None else float(v) for v in row] for row in rows])
    probabilities = model.risk(matrix)
    every_reason = model.reasons_many(matrix)
    found = {}
    for index, cid in enumerate(client_ids):
        reasons = [
            {
                "signal": name,
                "words": signals.provider(name).describe(rows[index][model.names.index(name)]),
                "share": round(share, 4),
            }
            for name, share in every_reason[index]
        ]
        found[cid] = (round(float(probabilities[index]), 4), reasons)
    return found
