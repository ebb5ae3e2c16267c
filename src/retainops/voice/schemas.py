"""The API's request and answer schemas for the voice of the customer."""

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from retainops.core.schemas import MAX_COUNT, Id


class DefinitionIn(Schema):
    code: str = Field(max_length=60)
    name: str = Field(max_length=160)
    kind: str
    questions: list[dict[str, Any]] | None = None


class DefinitionOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    version: int | None = None
    questions: list[dict[str, Any]] = []

    @staticmethod
    def resolve_version(obj: Any) -> int | None:
        current = obj.current_version()
        return current.number if current else None

    @staticmethod
    def resolve_questions(obj: Any) -> list[dict[str, Any]]:
        current = obj.current_version()
        return current.questions if current else []


class SendIn(Schema):
    client: Id
    definition: str
    contacts: list[int] | None = None
    service_line: str = ""


class SurveyFigureOut(Schema):
    name: str
    value: str


class SurveyAboutOut(Schema):
    """What a survey sent by a playbook step asked about, with its subject's figures."""

    type: str
    id: int
    label: str
    figures: list[SurveyFigureOut]


class SurveyOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    definition: str
    version: int
    service_line: str
    sent_at: datetime
    invited: int
    answered: int
    about: SurveyAboutOut | None = None

    @staticmethod
    def resolve_definition(obj: Any) -> str:
        return str(obj.version.definition.code)

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.version.number)

    @staticmethod
    def resolve_invited(obj: Any) -> int:
        counted = getattr(obj, "invited_count", None)
        return int(obj.invitations.count() if counted is None else counted)

    @staticmethod
    def resolve_answered(obj: Any) -> int:
        counted = getattr(obj, "answered_count", None)
        if counted is None:
            counted = obj.invitations.filter(answered_at__isnull=False).count()
        return int(counted)

    @staticmethod
    def resolve_about(obj: Any) -> dict[str, Any] | None:
        about = getattr(obj, "about", None)
        if about is None:
            return None
        return {
            "type": obj.about_type,
            "id": obj.about_id,
            "label": about.label,
            "figures": [{"name": f.name, "value": f.value} for f in about.figures],
        }


class QuestionsOut(Schema):
    survey: str
    client: str
    questions: list[dict[str, Any]]


class AnswerIn(Schema):
    answers: dict[str, Any]


class AnswerOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    nps: int | None
    csat: int | None
    comment: str
    answered_at: datetime
    values: dict[str, Any]
    detractor: bool
    follow_up: int | None = None

    @staticmethod
    def resolve_detractor(obj: Any) -> bool:
        return bool(obj.is_detractor)

    @staticmethod
    def resolve_follow_up(obj: Any) -> int | None:
        found = getattr(obj, "follow_up", None) if hasattr(obj, "follow_up") else None
        return found.pk if found else None


class ThanksOut(Schema):
    detail: str


class FollowUpOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    owner: str
    state: str
    due_at: datetime
    done_at: datetime | None
    complaint: int | None = Field(alias="complaint_id")

    @staticmethod
    def resolve_owner(obj: Any) -> str:
        return str(obj.owner.username)


class NoteIn(Schema):
    note: str = ""


class DetractorRuleIn(Schema):
    unit: str | None = None
    complaint_at_nps: int | None = Field(None, ge=0, le=MAX_COUNT)
    complaint_at_csat: int | None = Field(None, ge=0, le=MAX_COUNT)
    severity: str = "medium"


class DetractorRuleOut(Schema):
    unit: str | None
    complaint_at_nps: int | None
    complaint_at_csat: int | None
    severity: str

    @staticmethod
    def resolve_unit(obj: Any) -> str | None:
        return obj.business_unit.code if obj.business_unit_id else None


class ObservationIn(Schema):
    client: Id
    program: Id | None = None
    category: str
    sentiment: str
    text: str = Field(max_length=4000)


class ObservationOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    program: int | None = Field(alias="program_id")
    category: str
    sentiment: str
    text: str
    recorded_at: datetime
    theme: int | None = Field(alias="theme_id")


class FigureOut(Schema):
    client: int
    nps: float | None
    nps_answers: int
    promoters: int
    passives: int
    detractors: int
    csat: float | None
    csat_answers: int
    response_rate: float | None
    detractor_signals_90d: int


class GroupFigureOut(Schema):
    """One unit's, account manager's or service line's figures over a period, each with
    the count behind it: `answered` of the `sent` invitations make the response rate."""

    group: str
    nps: float | None
    nps_answers: int
    promoters: int
    passives: int
    detractors: int
    csat: float | None
    csat_answers: int
    sent: int
    answered: int
    response_rate: float | None


class SeriesIn(Schema):
    client: Id
    program: Id | None = None
    title: str
    starts_at: datetime
    attendees: list[str]
    every_days: int = Field(30, ge=0, le=MAX_COUNT)
    duration_minutes: int = Field(60, ge=0, le=MAX_COUNT)
    location: str = ""


class ActionItemOut(Schema):
    id: int
    title: str
    owner: str
    due_date: date
    state: str
    session: int = Field(alias="session_id")

    @staticmethod
    def resolve_owner(obj: Any) -> str:
        return str(obj.owner.username)


class SessionOut(Schema):
    id: int
    series: int = Field(alias="series_id")
    starts_at: datetime
    state: str
    minutes: str
    agenda: list[dict[str, Any]]


class SeriesOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    title: str
    every_days: int
    meeting: int | None = Field(alias="meeting_id")
    sessions: list[SessionOut]

    @staticmethod
    def resolve_sessions(obj: Any) -> list[Any]:
        return list(obj.sessions.order_by("starts_at"))


class MeetingActionIn(Schema):
    title: str
    owner: str
    due_date: date


class HoldIn(Schema):
    minutes: str
    actions: list[MeetingActionIn] = []
