from typing import Any

from django.apps import AppConfig


class AudienceConfig(AppConfig):
    name = "retainops.audience"
    label = "audience"
    verbose_name = "End-customer data"

    def ready(self) -> None:
        from retainops.audience import services
        from retainops.clients.panels import ClientPanel, register_panel
        from retainops.core.due_work import register_source

        # Imports started from a page run in the worker, one file per pass.
        register_source(services.SOURCE)
        register_panel(
            ClientPanel(
                name="audience",
                order=80,
                template="audience/_client_card.html",
                context=_panel_values,
            )
        )


def _panel_values(client: Any, user: Any) -> dict[str, Any]:
    from retainops.audience.queries import data_sets_of

    return {"data_sets": data_sets_of(client)}
