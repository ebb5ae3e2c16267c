"""Choices of the voice of the customer, each with its badge colour."""

from django.db import models


class SurveyKind(models.TextChoices):
    NPS = "nps", "Net Promoter Score"
    CSAT = "csat", "Customer satisfaction"
    CUSTOM = "custom", "Custom questions"


class QuestionKind(models.TextChoices):
    NPS = "nps", "Likelihood to recommend (0-10)"
    CSAT = "csat", "Satisfaction (1-5)"
    SCALE = "scale", "Scale"
    CHOICE = "choice", "Choice"
    TEXT = "text", "Text"


class InvitationState(models.TextChoices):
    SENT = "sent", "Sent"
    REMINDED = "reminded", "Reminded"
    ANSWERED = "answered", "Answered"


INVITATION_STATE_COLOURS = {"sent": "blue", "reminded": "amber", "answered": "green"}


class FollowUpState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


FOLLOW_UP_STATE_COLOURS = {"open": "amber", "done": "green"}


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


SENTIMENT_COLOURS = {"positive": "green", "neutral": "grey", "negative": "red"}


class ObservationCategory(models.TextChoices):
    RESULTS = "results", "Results and performance"
    SERVICE = "service", "Service and responsiveness"
    BILLING = "billing", "Billing"
    WEBSITE = "website", "Website and tools"
    PRAISE = "praise", "Praise"
    OTHER = "other", "Other"


class ActionItemState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


ACTION_ITEM_STATE_COLOURS = {"open": "amber", "done": "green"}


class SessionState(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"


SESSION_STATE_COLOURS = {"planned": "blue", "held": "green"}
