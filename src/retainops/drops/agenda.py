"""The feedback meeting's "drops" section: how the client's recent marketing drops
answered, against the forecast the service team staffed for."""

from typing import Any

from retainops.drops.queries import drop_results_by_client

LOOKBACK_DAYS = 90


def drops_section(session: Any) -> dict[str, Any] | None:
    """The last 90 days' drops of the meeting's client (or program); None without any."""
    series = session.series
    results = drop_results_by_client(
        [series.client_id], as_of=session.starts_at, window_days=LOOKBACK_DAYS
    ).get(series.client_id, [])
    if series.program_id:
        results = [r for r in results if r.program_id == series.program_id]
    if not results:
        return None
    return {
        "drops": [
            {
                "name": result.name,
                "channel": result.channel,
                "on": result.drop_at.date().isoformat(),
                "forecast_contacts": round(result.forecast_contacts),
                "actual_contacts": result.actual_contacts,
                "forecast_error_mape": None
                if result.overall_mape is None
                else round(result.overall_mape, 3),
                "response_rate": result.response_rate,
                "conversions": result.conversions,
                "customers_acquired": result.customers_acquired,
            }
            for result in results
        ]
    }
