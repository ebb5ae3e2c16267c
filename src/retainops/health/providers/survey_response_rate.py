"""Share of the survey invitations sent to the client's contacts over the last 365 days
that were answered: a client that stops answering has often stopped listening."""

from datetime import datetime

from retainops.health.signals import Direction, SignalProvider
from retainops.voice.queries import survey_response_rate_by_client

DAYS = 365


def values(client_ids: list[int], *, as_of: datetime) -> dict[int, float | None]:
    return dict(survey_response_rate_by_client(client_ids, as_of=as_of, window_days=DAYS))


def describe(value: float | None) -> str:
    if value is None:
        return "no survey sent in a year"
    return f"{value:.0%} of surveys answered"


PROVIDER = SignalProvider(
    key="survey_response_rate",
    label="Surveys answered (365 days)",
    unit="share",
    direction=Direction.HIGHER_IS_BETTER,
    values=values,
    describe=describe,
    unknown_is_neutral=True,
)
