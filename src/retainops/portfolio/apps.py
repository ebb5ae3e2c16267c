from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "retainops.portfolio"
    label = "portfolio"
    verbose_name = "Portfolio"

    def ready(self) -> None:
        _contribute()


def _contribute() -> None:
    """The client page shows the client's lifetime value; the change-request page the
    value at stake and a ceiling for a save credit."""
    from retainops.changes.panels import RequestPanel, register_request_panel
    from retainops.clients.panels import ClientPanel, register_panel
    from retainops.portfolio import lifetime, saves

    register_panel(
        ClientPanel("lifetime_value", 40, "portfolio/_client_value.html", lifetime.client_panel)
    )
    register_request_panel(
        RequestPanel("value_at_stake", 10, "portfolio/_request_stake.html", saves.request_panel)
    )
