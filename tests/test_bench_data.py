"""The benchmark's data generators still write what the models require.

A column added to a model (a stored figure, a NOT NULL field) breaks a generator that
writes rows by hand, and only `make bench` would notice, hours later. Each generator
runs here at its smallest size.
"""

import pytest
from bench import playbooks as engine_bench

from retainops.playbooks.models import Run, Task, Timer


@pytest.mark.django_db
def test_the_engine_generator_writes_running_runs_with_their_tasks_and_timers() -> None:
    engine_bench.generate(runs=4)

    runs = Run.objects.filter(state="running")
    assert runs.count() == 4
    # Ten steps to the bench playbook, a task for each in every run.
    assert Task.objects.filter(run__in=runs).count() == 4 * 10
    assert Timer.objects.pending().exists()
