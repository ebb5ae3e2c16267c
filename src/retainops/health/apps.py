from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "retainops.health"
    label = "health"
    verbose_name = "Health and churn risk"

    def ready(self) -> None:
        from retainops.health.signals import load_providers

        load_providers()
        _contribute()


def _contribute() -> None:
    """The worker snapshots every client daily and retrains the churn model on schedule;
    the client page shows the health panel; the client list a health badge, sort and
    filter; the administration home the scorecards."""
    from retainops.clients.list_columns import register_list_column
    from retainops.clients.panels import register_panel
    from retainops.core.administration import AdminSection, register_section
    from retainops.core.capabilities import Capability
    from retainops.core.due_work import DueWorkSource, register_source
    from retainops.health import client_panels, list_columns, sweep, training
    from retainops.health.models import Scorecard

    register_source(sweep.SOURCE)
    register_source(
        DueWorkSource(
            name="churn-retrain",
            order=sweep.SNAPSHOT_ORDER - 1,
            sweep=training.retrain_if_due,
            drain=training.retrain_if_due,
            describe=training.describe,
        )
    )
    for panel in client_panels.PANELS:
        register_panel(panel)
    register_list_column(list_columns.HEALTH_COLUMN)
    register_section(
        AdminSection(
            key="health",
            title="Health scorecards",
            url_name="health:scorecards",
            capability=Capability.MANAGE_UNITS,
            count=Scorecard.objects.count,
            order=70,
        )
    )
