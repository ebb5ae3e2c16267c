"""The shipped readiness playbook: planning a drop starts it, its gates open N days
before the drop, each step completes when the drop's gate is passed, and the run ends
when every gate is."""

from datetime import timedelta

import pytest
from django.utils import timezone

from retainops.core.testing import UserFactory
from retainops.drops import services
from retainops.drops.choices import Gate
from retainops.drops.models import Agent
from retainops.drops.tests.conftest import DROP_AT
from retainops.playbooks.choices import RunState, TaskState
from retainops.playbooks.library import LIBRARY, load_source
from retainops.playbooks.models import Run
from retainops.playbooks.timers import fire_all_due

GATE_STEPS = ("routing", "scripts", "faqs", "tools", "training")


@pytest.fixture
def readiness(north):
    ops = UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])
    version, published = load_source(by=ops, source=(LIBRARY / "drop-readiness.yaml").read_text())
    assert published
    return version


def _run(drop) -> Run:
    return Run.objects.get(subject_type="drop", subject_id=drop.pk)


def _states(run: Run) -> dict[str, str]:
    return dict(run.tasks.values_list("step_key", "state"))


def test_planning_a_drop_starts_the_readiness_playbook_with_gates_waiting(readiness, plan):
    drop = plan(drop_at=DROP_AT + timedelta(days=14), readiness_lead_days=10)
    run = _run(drop)
    assert run.trigger == "drop.planned"
    assert run.anchors["readiness"] == (drop.drop_at - timedelta(days=10)).isoformat()
    states = _states(run)
    assert states["gates_open"] == TaskState.OPEN
    assert all(states[key] == TaskState.WAITING for key in GATE_STEPS)


def test_gates_open_n_days_before_the_drop(readiness, plan, clock):
    drop = plan(drop_at=DROP_AT + timedelta(days=14), readiness_lead_days=10)
    clock.move_to(drop.drop_at - timedelta(days=10, minutes=1))
    fire_all_due(now=timezone.now())
    assert _states(_run(drop))["routing"] == TaskState.WAITING
    clock.move_to(drop.drop_at - timedelta(days=10, minutes=-1))
    fire_all_due(now=timezone.now())
    states = _states(_run(drop))
    assert states["gates_open"] == TaskState.DONE
    assert {states[k] for k in ("routing", "scripts", "faqs", "tools")} == {TaskState.OPEN}
    # Training waits for the scripts and FAQs it trains on.
    assert states["training"] == TaskState.WAITING


def test_a_drop_inside_its_lead_time_opens_its_gates_at_once(readiness, plan):
    drop = plan()  # seven days ahead, gates open fourteen days before
    assert _states(_run(drop))["routing"] == TaskState.OPEN


def test_passing_a_gate_completes_its_step_and_all_gates_end_the_run(
    readiness, plan, account_manager, roster
):
    drop = plan()
    services.record_test_call(drop=drop, by=account_manager)
    services.pass_gate(drop=drop, gate=Gate.ROUTING, by=account_manager)
    states = _states(_run(drop))
    assert states["routing"] == TaskState.DONE
    assert states["tools"] == TaskState.OPEN
    roster(2, DROP_AT)
    pack = services.publish_training_pack(
        program=drop.program, by=account_manager, scripts="Hello", scenarios="", faqs="Q/A"
    )
    for agent in Agent.objects.all():
        services.acknowledge_pack(pack=pack, agent=agent, by=account_manager)
    for gate in (Gate.SCRIPTS, Gate.FAQS, Gate.TOOLS, Gate.TRAINING):
        services.pass_gate(drop=drop, gate=gate, by=account_manager)
    run = _run(drop)
    assert all(state == TaskState.DONE for state in _states(run).values())
    assert run.state == RunState.COMPLETED
