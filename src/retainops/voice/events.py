"""What happens to surveys, detractors, observations and feedback meetings, as domain
events (see core/events.py). Emitted by voice/services.py and voice/timers.py."""

from dataclasses import dataclass

from retainops.core.events import DomainEvent
from retainops.voice.models import (
    ActionItem,
    FeedbackSession,
    FollowUp,
    Observation,
    Survey,
    SurveyAnswer,
)


@dataclass(frozen=True, kw_only=True, eq=False)
class SurveySent(DomainEvent):
    """A survey went to a client's contacts (`recipients` invitations queued)."""

    name = "survey.sent"
    survey: Survey
    recipients: int


@dataclass(frozen=True, kw_only=True, eq=False)
class SurveyAnswered(DomainEvent):
    """A recipient answered through their link (`detractor` when it was one)."""

    name = "survey.answered"
    answer: SurveyAnswer
    detractor: bool


@dataclass(frozen=True, kw_only=True, eq=False)
class DetractorFollowedUp(DomainEvent):
    """The account manager closed a detractor's follow-up."""

    name = "survey.followed_up"
    follow_up: FollowUp


@dataclass(frozen=True, kw_only=True, eq=False)
class ObservationRecorded(DomainEvent):
    """The service team recorded what a customer told them about a client's program."""

    name = "observation.recorded"
    observation: Observation


@dataclass(frozen=True, kw_only=True, eq=False)
class FeedbackMeetingHeld(DomainEvent):
    """A feedback meeting's minutes and action items were recorded."""

    name = "feedback.held"
    session: FeedbackSession


@dataclass(frozen=True, kw_only=True, eq=False)
class ActionItemChanged(DomainEvent):
    """A feedback action item was done, reminded or escalated (`change`)."""

    name = "feedback.action_changed"
    action: ActionItem
    change: str
