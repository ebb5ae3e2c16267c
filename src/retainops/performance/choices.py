"""Choices of the performance app: base metrics, units, pacing states, report sends."""

from django.db import models


class BaseMetric(models.TextChoices):
    """What a source reports per program, service line and day; KPIs are formulas of these."""

    IMPRESSIONS = "impressions", "Impressions"
    CLICKS = "clicks", "Clicks"
    VIDEO_COMPLETIONS = "video_completions", "Video completions"
    LEADS = "leads", "Leads"
    CALLS = "calls", "Calls"
    CONVERSIONS = "conversions", "Conversions"
    REVENUE = "revenue", "Revenue"
    SPEND = "spend", "Spend"


# Amounts of money: a row of these carries a currency that must be the program's.
MONEY_METRICS = frozenset({BaseMetric.REVENUE.value, BaseMetric.SPEND.value})


class KpiUnit(models.TextChoices):
    COUNT = "count", "count"
    PERCENT = "percent", "percent"
    MONEY = "money", "money"
    RATIO = "ratio", "ratio"


class PaceState(models.TextChoices):
    UNDER = "under", "Under-pacing"
    ON = "on", "On pace"
    OVER = "over", "Over-pacing"


PACE_COLOURS = {PaceState.UNDER: "amber", PaceState.ON: "green", PaceState.OVER: "red"}


class Checkpoint(models.IntegerChoices):
    """The points of a program at which comparable programs are compared."""

    DAY_30 = 30, "30 days"
    DAY_90 = 90, "90 days"
    DAY_180 = 180, "180 days"


class SendState(models.TextChoices):
    QUEUED = "queued", "Queued in the outbox"
    SKIPPED = "skipped", "Skipped"
