"""The churn model on a generated history with a planted hazard, end to end through
the signal providers, the training set and the kept model."""

from datetime import UTC, datetime

import pytest
import time_machine

from retainops.health.choices import ModelState
from retainops.health.demo import PLANTED_DRIVERS, plant_history
from retainops.health.models import ChurnModelRun, HealthSnapshot
from retainops.health.sweep import drain
from retainops.health.training import train_churn_model, training_matrix

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def history() -> None:
    plant_history(clients=260, months=16, seed=11, now=NOW)


def test_training_rows_see_nothing_after_their_month_end(history: None) -> None:
    data = training_matrix(now=NOW)
    # The last month end used is at least the 90-day horizon before now.
    assert (NOW.date() - data.month_ends[-1]).days >= 90
    touch = data.matrix.names.index("days_since_touch")
    assert (
        data.matrix.x[:, touch][~(data.matrix.x[:, touch] != data.matrix.x[:, touch])] >= 0
    ).all()


def test_the_model_ranks_held_out_months_well_and_names_the_planted_drivers(
    history: None,
) -> None:
    run = train_churn_model(now=NOW)
    assert run.state == ModelState.TRAINED, run.error
    figures = run.figures["evaluations"]
    assert figures[run.chosen]["auc"] > 0.7
    assert set(figures) == {"logistic", "boosting", "cox", "scorecard"}
    top = [name for name, _ in run.figures["drivers"][:2]]
    assert set(top) == set(PLANTED_DRIVERS)
    assert run.test_from and run.window_start and run.test_from > run.window_start
    assert run.fitted


def test_snapshots_carry_the_risk_and_its_reasons_in_words(history: None) -> None:
    train_churn_model(now=NOW)
    with time_machine.travel(NOW, tick=False):
        drain(now=NOW)
    risky = HealthSnapshot.objects.filter(day=NOW.date()).order_by("-risk").first()
    assert risky is not None and risky.risk is not None
    assert risky.model == ChurnModelRun.objects.get()
    words = [r["words"] for r in risky.risk_reasons]
    assert any("no touchpoint for" in w or "breached complaint" in w for w in words)
