"""`retainops seed_demo`: load the demo data set (idempotent).

Each app tells its own demo story (``<app>/demo.py``); this command runs them in
the order they build on each other: the people and clients with their history,
then the processes on them, the programs sold, the change requests and complaints raised,
and the contact plans with their history, then the performance of programs in flight;
last the health story (a history with a known churn hazard and the model trained on it).
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from retainops.audience.demo import seed_audience
from retainops.cadence.demo import seed_cadence
from retainops.changes.demo import seed_requests
from retainops.clients import demo
from retainops.complaints.demo import seed_complaints
from retainops.drops.demo import seed_drops
from retainops.health.demo import HISTORY_CLIENTS, seed_health
from retainops.onboarding.demo import seed_programs
from retainops.performance.demo import seed_performance
from retainops.playbooks.demo import seed_processes
from retainops.voice.demo import seed_voice


class Command(BaseCommand):
    help = (
        "Load demo business units, one login per role (password 'demo') and clients with "
        "two years of history. Re-running adds only missing clients."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--clients",
            type=int,
            default=demo.DEFAULT_CLIENTS,
            help=f"How many demo clients there should be (default {demo.DEFAULT_CLIENTS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="Random seed; the default makes every run produce the same data set.",
        )
        parser.add_argument(
            "--history-clients",
            type=int,
            default=HISTORY_CLIENTS,
            help=(
                "Clients of the History unit, whose past carries a known churn hazard for "
                f"the churn model to learn (default {HISTORY_CLIENTS}; 0 plants none)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clients"] < 0:
            raise CommandError("--clients must be zero or more.")
        if options["history_clients"] < 0:
            raise CommandError("--history-clients must be zero or more.")
        try:
            result = demo.seed(
                clients=options["clients"], seed=options["seed"], progress=self.stdout.write
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        # The processes build on the record just seeded, in this order.
        processes = [
            *seed_processes(),
            *seed_programs(),
            *seed_requests(),
            *seed_complaints(),
            *seed_cadence(),
            *seed_voice(),
            *seed_performance(),
            *seed_drops(),
            *seed_audience(**audience_size(options["clients"])),
            *seed_health(clients=options["history_clients"]),
        ]
        # The processes move some clients on (a cancellation gives notice): count after them.
        for line in demo.summary(result.added, result.seconds).lines():
            self.stdout.write(line)
        for line in processes:
            self.stdout.write(line)


def audience_size(clients: int) -> dict[str, Any]:
    """A smaller demo (fewer clients than the default) gets a few end customers per
    client, matched on exact keys only, so it seeds in a moment."""
    if clients >= demo.DEFAULT_CLIENTS:
        return {}
    return {"customers": max(300, SMALL_DEMO_CUSTOMERS_PER_CLIENT * clients), "use_splink": False}


SMALL_DEMO_CUSTOMERS_PER_CLIENT = 60
