"""API for the voice of the customer: survey definitions, sending surveys, answering
through a link (no account: the link is the capability), detractors' follow-ups and the
detractor rule, observations, the figures per client, and feedback meetings with their
agenda, minutes and action items. Thin: each endpoint finds what the caller sees, then
calls the same service as the pages."""

from datetime import timedelta
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.errors import HttpError

from retainops.clients.queries import visible_clients
from retainops.core.errors import Problems
from retainops.core.models import BusinessUnit, User
from retainops.core.schemas import Id, parse_id
from retainops.onboarding.models import Program
from retainops.voice import agenda, links, queries, services
from retainops.voice.models import (
    ActionItem,
    FeedbackSeries,
    FeedbackSession,
    FollowUp,
    Observation,
    Survey,
    SurveyDefinition,
)
from retainops.voice.schemas import (
    ActionItemOut,
    AnswerIn,
    DefinitionIn,
    DefinitionOut,
    DetractorRuleIn,
    DetractorRuleOut,
    FigureOut,
    FollowUpOut,
    GroupFigureOut,
    HoldIn,
    NoteIn,
    ObservationIn,
    ObservationOut,
    QuestionsOut,
    SendIn,
    SeriesIn,
    SeriesOut,
    SessionOut,
    SurveyOut,
    ThanksOut,
)

router = Router(tags=["voice"])


def _program(client_id: int, program_id: int | None) -> Program | None:
    if program_id is None:
        return None
    program = Program.objects.filter(pk=program_id, client_id=client_id).first()
    if program is None:
        Problems({"program": ["That program is not this client's."]}).raise_if_any()
    return program


@router.get("/surveys/definitions", response=list[DefinitionOut])
def list_definitions(request: HttpRequest) -> Any:
    return list(SurveyDefinition.objects.filter(is_active=True))


@router.post("/surveys/definitions", response={201: DefinitionOut})
def save_definition(request: HttpRequest, payload: DefinitionIn) -> Any:
    saved = services.save_definition(by=request.user, **payload.dict())
    return Status(201, saved)


@router.post("/surveys", response={201: SurveyOut})
def send_survey(request: HttpRequest, payload: SendIn) -> Any:
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    definition = SurveyDefinition.objects.filter(code=payload.definition).first()
    if definition is None:
        Problems({"definition": [f"No survey has the code {payload.definition!r}."]}).raise_if_any()
    contacts = None
    if payload.contacts is not None:
        contacts = list(client.contacts.filter(pk__in=payload.contacts))
        if len(contacts) != len(set(payload.contacts)):
            Problems({"contacts": ["Name contacts of this client."]}).raise_if_any()
    survey = services.send_survey(
        by=request.user,
        definition=definition,  # type: ignore[arg-type]
        client=client,
        contacts=contacts,
        service_line=payload.service_line,
    )
    return Status(201, survey)


@router.get("/surveys", response=list[SurveyOut])
def list_surveys(request: HttpRequest, client: Id | None = None) -> Any:
    """The newest 200 surveys, each with its counts and, when a playbook step sent it for
    a subject such as a marketing drop, what it asked about with that subject's figures."""
    rows = queries.recent_surveys(request.user)
    return queries.with_about((rows.filter(client_id=client) if client else rows)[:200])


def _link(token: str) -> Any:
    try:
        return links.resolve(token)
    except links.LinkRefused as refused:
        raise HttpError(
            410 if refused.reason in ("used", "expired") else 404, refused.message
        ) from None


@router.get("/surveys/answer/{token}", response=QuestionsOut, auth=None, tags=["survey link"])
def survey_questions(request: HttpRequest, token: str) -> Any:
    """The questions a survey link asks (no account needed)."""
    invitation = _link(token)
    return {
        "survey": invitation.survey.version.definition.name,
        "client": invitation.survey.client.name,
        "questions": invitation.survey.version.questions,
    }


@router.post("/surveys/answer/{token}", response={201: ThanksOut}, auth=None, tags=["survey link"])
def answer_survey(request: HttpRequest, token: str, payload: AnswerIn) -> Any:
    """Answer through the link, once; out-of-range answers answer 422 naming the question."""
    try:
        services.answer_survey(token=token, raw=payload.answers)
    except links.LinkRefused as refused:
        raise HttpError(
            410 if refused.reason in ("used", "expired") else 404, refused.message
        ) from None
    return Status(201, {"detail": "Thank you: your answer reached your account team."})


@router.get("/surveys/follow-ups", response=list[FollowUpOut])
def list_follow_ups(request: HttpRequest, open: bool = True) -> Any:
    rows = FollowUp.objects.filter(client__in=visible_clients(request.user)).select_related("owner")
    return list(rows.filter(state="open") if open else rows)


@router.post("/surveys/follow-ups/{follow_up_id}/done", response=FollowUpOut)
def complete_follow_up(request: HttpRequest, follow_up_id: int, payload: NoteIn) -> Any:
    row = get_object_or_404(
        FollowUp.objects.filter(client__in=visible_clients(request.user)), pk=follow_up_id
    )
    return services.complete_follow_up(by=request.user, follow_up=row, note=payload.note)


@router.put("/surveys/detractor-rule", response=DetractorRuleOut)
def save_rule(request: HttpRequest, payload: DetractorRuleIn) -> Any:
    unit = None
    if payload.unit:
        unit = BusinessUnit.objects.filter(code=payload.unit).first()
        if unit is None:
            Problems({"unit": [f"No unit has the code {payload.unit!r}."]}).raise_if_any()
    return services.save_detractor_rule(
        by=request.user,
        business_unit=unit,
        complaint_at_nps=payload.complaint_at_nps,
        complaint_at_csat=payload.complaint_at_csat,
        severity=payload.severity,
    )


def _client_ids(text: str) -> list[int]:
    """The comma-separated ids asked for; one that is not an id is named (422)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    bad = [part for part in parts if parse_id(part) is None]
    if bad:
        raise ValidationError({"clients": [f"Not a client id: {', '.join(bad[:5])}."]})
    return [parse_id(part) or 0 for part in parts]


@router.get("/voice/figures", response=list[FigureOut])
def figures(request: HttpRequest, clients: str = "") -> Any:
    """NPS (with its count), CSAT, response rate and detractor signals per client seen."""
    seen = visible_clients(request.user)
    wanted = _client_ids(clients)
    ids = list((seen.filter(pk__in=wanted) if wanted else seen).values_list("pk", flat=True))
    now = timezone.now()
    nps = queries.nps_by_client(ids, as_of=now)
    csat = queries.csat_by_client(ids, as_of=now)
    rate = queries.survey_response_rate_by_client(ids, as_of=now)
    bad = queries.detractors_by_client(ids, as_of=now)
    out = []
    for pk in ids:
        n, c = nps.get(pk), csat.get(pk)
        out.append(
            {
                "client": pk,
                "nps": n.score if n else None,
                "nps_answers": n.answers if n else 0,
                "promoters": n.promoters if n else 0,
                "passives": n.passives if n else 0,
                "detractors": n.detractors if n else 0,
                "csat": c.average if c else None,
                "csat_answers": c.answers if c else 0,
                "response_rate": rate.get(pk),
                "detractor_signals_90d": bad.get(pk, 0),
            }
        )
    return out


@router.get("/voice/figures/by/{by}", response=list[GroupFigureOut])
def figures_by(
    request: HttpRequest,
    by: Literal["unit", "account_manager", "service_line"],
    days: int = Query(365, ge=1, le=3660),
) -> Any:
    """NPS, CSAT and response rate per unit, account manager or service line over the last
    `days` days, with the counts behind each (the Voice page's tables)."""
    now = timezone.now()
    rows = queries.figures_by(request.user, by, since=now - timedelta(days=days), until=now)
    out = []
    for row in rows:
        nps = row["nps"]
        out.append(
            {
                "group": row["group"],
                "nps": nps.score if nps else None,
                "nps_answers": nps.answers if nps else 0,
                "promoters": nps.promoters if nps else 0,
                "passives": nps.passives if nps else 0,
                "detractors": nps.detractors if nps else 0,
                "csat": row["csat"],
                "csat_answers": row["csat_answers"],
                "sent": row["sent"],
                "answered": row["answered"],
                "response_rate": row["response_rate"],
            }
        )
    return out


@router.post("/observations", response={201: ObservationOut})
def record_observation(request: HttpRequest, payload: ObservationIn) -> Any:
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    observation = services.record_observation(
        by=request.user,
        client=client,
        program=_program(client.pk, payload.program),
        category=payload.category,
        sentiment=payload.sentiment,
        text=payload.text,
    )
    return Status(201, observation)


@router.get("/observations", response=list[ObservationOut])
def list_observations(request: HttpRequest, client: Id | None = None) -> Any:
    rows = Observation.objects.filter(client__in=visible_clients(request.user))
    return list((rows.filter(client_id=client) if client else rows)[:500])


@router.post("/feedback-meetings", response={201: SeriesOut})
def schedule(request: HttpRequest, payload: SeriesIn) -> Any:
    client = get_object_or_404(visible_clients(request.user), pk=payload.client)
    data = payload.dict(exclude={"client", "program"})
    series = services.schedule_feedback_meeting(
        by=request.user, client=client, program=_program(client.pk, payload.program), **data
    )
    return Status(201, series)


def _series(request: HttpRequest) -> Any:
    return FeedbackSeries.objects.filter(client__in=visible_clients(request.user))


@router.get("/feedback-meetings", response=list[SeriesOut])
def list_series(request: HttpRequest) -> Any:
    return list(_series(request))


@router.get("/feedback-meetings/sessions/{session_id}", response=SessionOut)
def get_session(request: HttpRequest, session_id: int) -> Any:
    """A session; a planned one's agenda is assembled as it stands now."""
    row = get_object_or_404(
        FeedbackSession.objects.filter(series__in=_series(request)), pk=session_id
    )
    if row.state == "planned":
        row.agenda = [s.as_dict() for s in agenda.assemble(row)]
    return row


@router.post("/feedback-meetings/sessions/{session_id}/hold", response=SessionOut)
def hold(request: HttpRequest, session_id: int, payload: HoldIn) -> Any:
    row = get_object_or_404(
        FeedbackSession.objects.filter(series__in=_series(request)), pk=session_id
    )
    problems = Problems()
    plans = []
    for i, action in enumerate(payload.actions):
        owner = User.objects.filter(username=action.owner, is_active=True).first()
        if owner is None:
            problems.add(f"actions[{i}].owner", f"No active person is called {action.owner!r}.")
            continue
        plans.append(services.ActionPlan(action.title, owner, action.due_date))
    problems.raise_if_any()
    return services.hold_feedback_meeting(
        by=request.user, session=row, minutes=payload.minutes, actions=plans
    )


@router.get("/feedback-meetings/actions", response=list[ActionItemOut])
def list_actions(request: HttpRequest, open: bool = True) -> Any:
    rows = ActionItem.objects.filter(series__in=_series(request)).select_related("owner")
    return list(rows.filter(state="open") if open else rows)


@router.post("/feedback-meetings/actions/{action_id}/done", response=ActionItemOut)
def complete_action(request: HttpRequest, action_id: int) -> Any:
    row = get_object_or_404(ActionItem.objects.filter(series__in=_series(request)), pk=action_id)
    return services.complete_action_item(by=request.user, action=row)


_ = Survey
