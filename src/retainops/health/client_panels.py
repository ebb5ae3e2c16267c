"""What health adds to the client page: the score, its trend and each measure's share,
and the churn risk with its reasons."""

from typing import Any

from retainops.clients.panels import ClientPanel
from retainops.core.charts import Band as ChartBand
from retainops.core.charts import Series, line_chart
from retainops.health.queries import health_history


def health(client: Any, _user: Any) -> dict[str, Any]:
    history = health_history(client)
    if not history:
        return {"latest": None}
    latest = history[-1]
    version = latest.version
    chart = line_chart(
        title=f"Health of {client.name}, last 90 days",
        x_labels=[s.day.isoformat() for s in history],
        series=[Series.of("Health score", [s.score for s in history])],
        y_label="score",
        bands=(
            ChartBand(0, version.amber_from, "red"),
            ChartBand(version.amber_from, version.green_from, "amber"),
            ChartBand(version.green_from, 100, "green"),
        ),
        y_limits=(0, 100),
    )
    return {"latest": latest, "chart": chart, "contributions": latest.contributions}


PANELS = (ClientPanel("health", 5, "health/_client_card.html", health),)
