"""`retainops train_churn`: train the churn model on the history now and keep it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from retainops.health.choices import ModelState
from retainops.health.services import train_churn


class Command(BaseCommand):
    help = "Train the churn-risk model on the agency's history and keep it with its figures."

    def handle(self, *args: Any, **options: Any) -> None:
        run = train_churn(by=None)
        if run.state != ModelState.TRAINED:
            raise CommandError(f"Not trained: {run.error}")
        for name, figures in run.figures["evaluations"].items():
            self.stdout.write(f"{name}: AUC {figures['auc']}, Brier {figures['brier']}")
        self.stdout.write(f"model {run.pk} kept: {run.chosen} chosen, {run.rows} client-months")
