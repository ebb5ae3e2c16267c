"""Timers fired by real `retainops worker` processes: a worker killed (SIGKILL) while
timers fire loses none and fires none twice; two workers over one set of timers fire
each once. The processes use the real clock; the timers are made due before they start."""

import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.messaging.models import Message
from retainops.messaging.testing import (
    SmtpPeer,
    database_url,
    process_env,
    run_tick,
    start_worker,
    wait_until,
)
from retainops.playbooks import services
from retainops.playbooks.choices import EventKind
from retainops.playbooks.models import TimelineEvent, Timer

DEADLINE = """
key: deadline
name: Call before the deadline
anchors: [deadline]
steps:
  - key: call
    title: Call the client
    owner: role:account_manager
    due: at deadline
    escalate:
      - after: 0 hours
        to: role:team_lead
"""

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def _missed_runs(count: int) -> list[int]:
    """`count` runs whose one step's escalation is due a minute ago; their timer ids."""
    with transaction.atomic():
        unit = BusinessUnitFactory.create(code="north")
        manager = UserFactory.create(username="amy", roles=["account_manager"], units=[unit])
        lead = UserFactory.create(username="tess", roles=["team_lead"], units=[unit])
        ops = UserFactory.create(username="otto", roles=["operations_lead"], units=[unit])
        version = services.publish_playbook(by=ops, source=DEADLINE)
        client = ClientFactory.create(name="Harbor Dental", business_unit=unit)
        for user, code in ((manager, "account_manager"), (lead, "team_lead")):
            ClientTeamMember.objects.create(
                client=client, user=user, role=Role.objects.get(code=code)
            )
        deadline = timezone.now() - timedelta(minutes=1)
        for _ in range(count):
            services.start_run(
                by=manager,
                playbook=version.playbook,
                subject_id=client.pk,
                anchors={"deadline": deadline},
            )
    return list(Timer.objects.values_list("id", flat=True))


def _log(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no output)"


def _assert_each_timer_fired_once(timer_ids: list[int]) -> None:
    fired = Timer.objects.filter(pk__in=timer_ids, fired_at__isnull=False)
    assert fired.count() == len(timer_ids)
    missed = Counter(
        TimelineEvent.objects.filter(kind=EventKind.TASK_MISSED).values_list("task_id", flat=True)
    )
    assert len(missed) == len(timer_ids) and set(missed.values()) == {1}
    escalations = Message.objects.filter(subject__startswith="Missed:")
    assert escalations.count() == len(timer_ids)


def test_a_worker_killed_while_timers_fire_loses_none_and_fires_none_twice(
    smtp_server: SmtpPeer, tmp_path: Path
):
    batch, total = 20, 120
    timer_ids = _missed_runs(total)
    smtp_server.slow_down(0.03)  # each pass's deliveries take a while: the kill lands mid-run
    env = process_env(database_url(connection), smtp_server, WORKER_BATCH_SIZE=str(batch))
    log = tmp_path / "worker.log"
    fired = Timer.objects.filter(fired_at__isnull=False)

    worker = start_worker(env, log)
    try:
        reached = wait_until(lambda: fired.count() >= batch, timeout=60, interval=0.01)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert reached, _log(log)
    assert worker.returncode == -signal.SIGKILL
    assert 0 < fired.count() < total, "the kill should land before every timer fired"

    lease = timedelta(seconds=settings.MESSAGE_CLAIM_LEASE_SECONDS)
    done = run_tick(env, (timezone.now() + lease + timedelta(seconds=1)).isoformat())
    assert done.returncode == 0, done.stderr

    _assert_each_timer_fired_once(timer_ids)
    escalations = {m.message_id for m in Message.objects.filter(subject__startswith="Missed:")}
    received = smtp_server.message_ids()
    assert set(received) == escalations
    # A kill between sending and recording may repeat a message; its Message-ID shows it.
    assert all(n <= 2 for n in received.values())


def test_two_workers_over_one_set_of_timers_fire_each_once(smtp_server: SmtpPeer, tmp_path: Path):
    """PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: IMMEDIATE transactions serialise them."""
    total = 150
    timer_ids = _missed_runs(total)
    env = process_env(
        database_url(connection), smtp_server, WORKER_BATCH_SIZE="10", PYTHONUNBUFFERED="1"
    )
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    fired = Timer.objects.filter(fired_at__isnull=False)
    sent = Message.objects.filter(state="sent")

    workers = [start_worker(env, log) for log in logs]
    try:
        finished = wait_until(
            lambda: fired.count() == total and sent.count() == total, timeout=120, interval=0.1
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30) for worker in workers]
    assert finished, [_log(p) for p in logs]
    assert codes == [0, 0], [_log(p) for p in logs]

    _assert_each_timer_fired_once(timer_ids)
    assert set(smtp_server.message_ids().values()) == {1}
