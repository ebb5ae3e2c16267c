"""The client page's voice panel: figures with their counts, recent answers and the
service team's observations (the client's timeline of what it said)."""

from typing import Any

from django.utils import timezone

from retainops.voice.models import (
    FeedbackSession,
    Observation,
    SurveyAnswer,
    SurveyDefinition,
)
from retainops.voice.queries import csat_by_client, nps_by_client, survey_response_rate_by_client


def voice_panel(client: Any, user: Any) -> dict[str, Any]:
    now = timezone.now()
    timeline = sorted(
        [
            *(
                {"at": a.answered_at, "kind": "answer", "answer": a}
                for a in SurveyAnswer.objects.filter(client=client).select_related(
                    "version__definition"
                )[:10]
            ),
            *(
                {"at": o.recorded_at, "kind": "observation", "observation": o}
                for o in Observation.objects.filter(client=client).select_related("recorded_by")[
                    :10
                ]
            ),
        ],
        key=lambda e: e["at"],  # type: ignore[arg-type,return-value]
        reverse=True,
    )[:10]
    return {
        "nps": nps_by_client([client.pk], as_of=now).get(client.pk),
        "csat": csat_by_client([client.pk], as_of=now).get(client.pk),
        "rate": survey_response_rate_by_client([client.pk], as_of=now).get(client.pk),
        "timeline": timeline,
        "definitions": SurveyDefinition.objects.filter(is_active=True),
        "sessions": FeedbackSession.objects.filter(series__client=client)
        .select_related("series")
        .order_by("-starts_at")[:4],
    }
