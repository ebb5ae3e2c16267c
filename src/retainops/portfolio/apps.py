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
    from retainops.portfolio.sections import PortfolioSection, register_section

    register_panel(
        ClientPanel("lifetime_value", 40, "portfolio/_client_value.html", lifetime.client_panel)
    )
    register_request_panel(
        RequestPanel("value_at_stake", 10, "portfolio/_request_stake.html", saves.request_panel)
    )
    register_section(
        PortfolioSection(
            "health_distribution", 10, "portfolio/_health_distribution.html", health_section
        )
    )


def health_section(user: object) -> dict[str, object]:
    """The clients of each unit by health band on the latest day, as a stacked bar chart
    with its table."""
    from retainops.core.charts import Series, bar_chart
    from retainops.health.queries import band_distribution

    by_unit = band_distribution(user)
    if not by_unit:
        return {"chart": None}
    units = list(by_unit)
    series = [
        Series.of(band.capitalize(), [by_unit[u][band] for u in units])
        for band in ("green", "amber", "red")
    ]
    chart = bar_chart(
        title="Clients by health band",
        categories=units,
        series=series,
        y_label="clients",
        stacked=True,
    )
    return {"chart": chart}
