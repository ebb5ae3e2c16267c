"""A survey of the program after a drop reads beside the drop's figures: contacts
against the forecast the team staffed for, its error, the response rate, conversions,
sales and customers acquired (the same `DropResult` the feedback agenda shows)."""

from decimal import Decimal

from retainops.drops.choices import DropChannel
from retainops.drops.models import Drop
from retainops.drops.queries import DropResult, results_of
from retainops.voice.survey_figures import About, Figure


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def _figures(result: DropResult) -> tuple[Figure, ...]:
    figures = [
        Figure(
            "Contacts",
            f"{result.actual_contacts:,} (forecast {round(result.forecast_contacts):,})",
        )
    ]
    if result.overall_mape is not None:
        figures.append(Figure("Forecast error (MAPE)", _percent(result.overall_mape)))
    if result.response_rate is not None:
        figures.append(
            Figure(
                "Response rate",
                f"{_percent(result.response_rate)} "
                f"(expected {_percent(result.expected_response_rate)})",
            )
        )
    if result.conversions is not None:
        figures.append(Figure("Conversions", f"{result.conversions:,}"))
    if result.sales is not None:
        figures.append(Figure("Sales", f"{Decimal(result.sales):,.2f}"))
    if result.customers_acquired is not None:
        figures.append(Figure("Customers acquired", f"{result.customers_acquired:,}"))
    return tuple(figures)


def describe_drops(ids: list[int]) -> dict[int, About]:
    """Drop id -> its label and figures, in a fixed number of queries for the batch."""
    return {
        result.drop_id: About(
            label=f"{result.name} ({DropChannel(result.channel).label}, "
            f"{result.drop_at.date().isoformat()})",
            figures=_figures(result),
        )
        for result in results_of(Drop.objects.filter(pk__in=ids))
    }
