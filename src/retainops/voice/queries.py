"""Reads of the voice of the customer: what a person may see, and the figures other
apps read (the health score): NPS, CSAT, detractors and response rate per client at a
point in time, each in a fixed number of queries whatever the number of clients; and
the figures per unit, account manager, service line and period, with their counts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncQuarter

from retainops.clients.queries import visible_clients
from retainops.core.choices import RoleCode
from retainops.voice.models import (
    ActionItem,
    FollowUp,
    Observation,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
)
from retainops.voice.survey_figures import about_surveys


@dataclass(frozen=True)
class NpsFigure:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), with the count
    of answers behind it (an NPS of three answers says so)."""

    score: float
    promoters: int
    passives: int
    detractors: int
    answers: int


@dataclass(frozen=True)
class CsatFigure:
    """Customer satisfaction: the mean 1-5 score, the share of 4s and 5s, and the count."""

    average: float
    satisfied_share: float
    answers: int


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsFigure | None:
    answers = promoters + passives + detractors
    if not answers:
        return None
    score = round(100.0 * (promoters - detractors) / answers, 1)
    return NpsFigure(score, promoters, passives, detractors, answers)


def _answers_in(client_ids: Iterable[int], as_of: datetime, window_days: int) -> QuerySet:
    return SurveyAnswer.objects.filter(
        client_id__in=list(client_ids),
        answered_at__lte=as_of,
        answered_at__gt=as_of - timedelta(days=window_days),
    )


def _nps_counts() -> dict[str, Any]:
    return {
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "passives": Count("id", filter=Q(nps__gte=7, nps__lte=8)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
    }


def nps_by_client(
    client_ids: Iterable[int], *, as_of: datetime, window_days: int = 365
) -> dict[int, NpsFigure]:
    """Each client's NPS over the answers recorded in the window ending at `as_of` (one
    query); clients without an NPS answer are left out."""
    rows = (
        _answers_in(client_ids, as_of, window_days)
        .filter(nps__isnull=False)
        .values("client_id")
        .annotate(**_nps_counts())
    )
    found = {}
    for row in rows:
        figure = nps_from_counts(row["promoters"], row["passives"], row["detractors"])
        if figure:
            found[row["client_id"]] = figure
    return found


def csat_by_client(
    client_ids: Iterable[int], *, as_of: datetime, window_days: int = 365
) -> dict[int, CsatFigure]:
    """Each client's CSAT over the window ending at `as_of` (one query)."""
    rows = (
        _answers_in(client_ids, as_of, window_days)
        .filter(csat__isnull=False)
        .values("client_id")
        .annotate(
            average=Avg("csat"), satisfied=Count("id", filter=Q(csat__gte=4)), answers=Count("id")
        )
    )
    return {
        r["client_id"]: CsatFigure(
            round(float(r["average"]), 2), round(r["satisfied"] / r["answers"], 3), r["answers"]
        )
        for r in rows
    }


def detractors_by_client(
    client_ids: Iterable[int], *, as_of: datetime, window_days: int = 90
) -> dict[int, int]:
    """Detractor answers (NPS 0-6 or CSAT 1-2) and negative observations per client in the
    window ending at `as_of` (two queries); clients with none are left out."""
    ids = list(client_ids)
    found: dict[int, int] = {}
    rows = (
        _answers_in(ids, as_of, window_days)
        .filter(Q(nps__lte=6) | Q(csat__lte=2))
        .values("client_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        found[row["client_id"]] = row["n"]
    negative = (
        Observation.objects.filter(
            client_id__in=ids,
            sentiment="negative",
            recorded_at__lte=as_of,
            recorded_at__gt=as_of - timedelta(days=window_days),
        )
        .values("client_id")
        .annotate(n=Count("id"))
    )
    for row in negative:
        found[row["client_id"]] = found.get(row["client_id"], 0) + row["n"]
    return found


def survey_response_rate_by_client(
    client_ids: Iterable[int], *, as_of: datetime, window_days: int = 365
) -> dict[int, float]:
    """Share of invitations sent in the window that were answered by `as_of` (one
    query); clients sent none are left out."""
    rows = (
        SurveyInvitation.objects.filter(
            survey__client_id__in=list(client_ids),
            sent_at__lte=as_of,
            sent_at__gt=as_of - timedelta(days=window_days),
        )
        .values("survey__client_id")
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(answered_at__lte=as_of)))
    )
    return {r["survey__client_id"]: round(r["answered"] / r["sent"], 3) for r in rows if r["sent"]}


# Figures for the pages -----------------------------------------------------------------

GROUPINGS = {
    "unit": "client__business_unit__name",
    "service_line": "survey__service_line",
    "account_manager": "am",
}
# The same groupings, read from the invitations sent (for the response rate).
INVITATION_GROUPINGS = {
    "unit": "survey__client__business_unit__name",
    "service_line": "survey__service_line",
    "account_manager": "am",
}


def visible_answers(user: Any) -> QuerySet[SurveyAnswer]:
    return SurveyAnswer.objects.filter(client__in=visible_clients(user))


def _by_account_manager(rows: QuerySet, client: str) -> QuerySet:
    """One row per account manager of each client (`am`: their username)."""
    return rows.filter(**{f"{client}__team__role__code": RoleCode.ACCOUNT_MANAGER}).annotate(
        am=F(f"{client}__team__user__username")
    )


def figures_by(user: Any, by: str, *, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """NPS, CSAT and response rate with their counts per unit, account manager or service
    line (two queries whatever the number of groups): the answers given in the period,
    and of the invitations sent in it, how many were answered (by `until`)."""
    answers = visible_answers(user).filter(answered_at__gte=since, answered_at__lte=until)
    invitations: QuerySet = SurveyInvitation.objects.filter(
        survey__client__in=visible_clients(user), sent_at__gte=since, sent_at__lte=until
    )
    if by == "account_manager":
        answers = _by_account_manager(answers, "client")
        invitations = _by_account_manager(invitations, "survey__client")
    field = GROUPINGS[by]
    sent_field = INVITATION_GROUPINGS[by]
    rows = {
        row[field]: row
        for row in answers.values(field)
        .annotate(**_nps_counts(), csat_mean=Avg("csat"), csat_answers=Count("csat"))
        .order_by(field)
    }
    sent = {
        row[sent_field]: row
        for row in invitations.values(sent_field)
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(answered_at__lte=until)))
        .order_by(sent_field)
    }
    out = []
    for key in sorted({*rows, *sent}, key=lambda k: (k is None, k or "")):
        row = rows.get(key, {})
        nps = nps_from_counts(row["promoters"], row["passives"], row["detractors"]) if row else None
        invited = sent.get(key, {"sent": 0, "answered": 0})
        out.append(
            {
                "group": key or "(none)",
                "nps": nps,
                "csat": round(float(row["csat_mean"]), 2)
                if row and row["csat_mean"] is not None
                else None,
                "csat_answers": row["csat_answers"] if row else 0,
                "sent": invited["sent"],
                "answered": invited["answered"],
                "response_rate": round(invited["answered"] / invited["sent"], 3)
                if invited["sent"]
                else None,
            }
        )
    return out


def response_rate(user: Any, *, since: datetime, until: datetime) -> tuple[int, int]:
    """(answered, sent) of the invitations sent in the period, among clients seen."""
    sent = SurveyInvitation.objects.filter(
        survey__client__in=visible_clients(user), sent_at__gte=since, sent_at__lte=until
    )
    return sent.filter(answered_at__isnull=False).count(), sent.count()


def nps_trend(user: Any, *, until: datetime) -> dict[str, list[tuple[str, NpsFigure | None]]]:
    """NPS per unit per quarter over the two years to `until`, with the counts."""
    rows = (
        visible_answers(user)
        .filter(
            nps__isnull=False, answered_at__lte=until, answered_at__gt=until - timedelta(days=730)
        )
        .annotate(quarter=TruncQuarter("answered_at"))
        .values("client__business_unit__name", "quarter")
        .annotate(**_nps_counts())
        .order_by("quarter")
    )
    by_unit: dict[str, dict[str, NpsFigure | None]] = {}
    quarters: list[str] = []
    for found_row in rows:
        row: dict[str, Any] = dict(found_row)
        q = f"{row['quarter']:%Y} Q{(row['quarter'].month - 1) // 3 + 1}"
        if q not in quarters:
            quarters.append(q)
        by_unit.setdefault(row["client__business_unit__name"], {})[q] = nps_from_counts(
            row["promoters"], row["passives"], row["detractors"]
        )
    return {unit: [(q, found.get(q)) for q in quarters] for unit, found in by_unit.items()}


def open_follow_ups_of(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return FollowUp.objects.filter(owner=user, state="open").count()


def recent_surveys(user: Any) -> QuerySet[Survey]:
    """The surveys sent to the person's clients, newest first, each with its counts of
    invitations sent and answered."""
    return (
        Survey.objects.filter(client__in=visible_clients(user))
        .select_related("client", "version__definition")
        .annotate(
            invited_count=Count("invitations"),
            answered_count=Count("invitations", filter=Q(invitations__answered_at__isnull=False)),
        )
    )


def with_about(surveys: Iterable[Survey]) -> list[Survey]:
    """The surveys with `about` set: what each asked about and its subject's figures
    (None for a survey sent by hand or about a subject nobody describes)."""
    rows = list(surveys)
    found = about_surveys(rows)
    for survey in rows:
        survey.about = found.get(survey.pk)  # type: ignore[attr-defined]
    return rows


def visible_observations(user: Any) -> QuerySet[Observation]:
    return Observation.objects.filter(client__in=visible_clients(user)).select_related(
        "client", "recorded_by"
    )


def open_actions_of(user: Any) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(owner=user, state="open").select_related("series")


def recommendations_for(session: Any) -> list[str]:
    """What the figures suggest talking about (plain rules over the last 90 days)."""
    client_id, at = session.series.client_id, session.starts_at
    tips = []
    nps = nps_by_client([client_id], as_of=at, window_days=90).get(client_id)
    if nps and nps.score < 0:
        tips.append(f"NPS is {nps.score:+.0f} over {nps.answers} answers: plan a recovery call.")
    detractors = detractors_by_client([client_id], as_of=at).get(client_id, 0)
    if detractors >= 2:
        tips.append(f"{detractors} detractor signals in 90 days: review the program together.")
    rate = survey_response_rate_by_client([client_id], as_of=at).get(client_id)
    if rate is not None and rate < 0.3:
        tips.append(f"Only {rate:.0%} of survey invitations were answered: ask in person.")
    return tips or ["Nothing stands out: keep the rhythm."]
