"""KPIs agreed at sale and the performance data they are measured on.

`Kpi` is the catalogue (a formula over the base metrics, a unit, a direction);
`ServiceKpi` the defaults per service line; `ProgramKpi` the targets agreed at
sale for one line of one program, with who agreed them, when, and the benchmark
they were compared with. `MetricValue` holds one number per (program, line,
source, day, metric): imports and the API upsert on that key. `MetricSource` is a
platform export with its saved column mapping. `PacingEpisode` is a stretch of
days a program paces outside the bands (the AM is told once per episode);
`ReportSend` is the monthly report of one program and period, written with its
outbox message in one transaction, so it leaves once.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from retainops.performance.choices import BaseMetric, Checkpoint, KpiUnit, PaceState, SendState


class Kpi(models.Model):
    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    formula = models.CharField(
        max_length=300, help_text="An expression over the base metrics, e.g. clicks / impressions."
    )
    unit = models.CharField(max_length=10, choices=KpiUnit.choices, default=KpiUnit.COUNT)
    higher_is_better = models.BooleanField(default=True)
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"


class ServiceKpi(models.Model):
    """A KPI a program of this service line starts with."""

    service = models.ForeignKey(
        "clients.ServiceLine", on_delete=models.CASCADE, related_name="default_kpis"
    )
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "kpi"], name="one_default_kpi_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.kpi}"


class ProgramTerms(models.Model):
    """What the return of a program is measured with, agreed at sale."""

    program = models.OneToOneField(
        "onboarding.Program", on_delete=models.CASCADE, related_name="performance_terms"
    )
    conversion_value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Value of one conversion, used when the client reports no revenue.",
    )
    currency = models.CharField(max_length=3, default="USD")

    def __str__(self) -> str:
        return f"terms of {self.program_id}"


class ProgramKpi(models.Model):
    """A KPI of one line of a program and the target agreed at sale."""

    program = models.ForeignKey(
        "onboarding.Program", on_delete=models.CASCADE, related_name="kpi_targets"
    )
    service = models.ForeignKey("clients.ServiceLine", on_delete=models.PROTECT, related_name="+")
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="targets")
    checkpoint = models.PositiveSmallIntegerField(
        choices=Checkpoint.choices, default=Checkpoint.DAY_90
    )
    target = models.DecimalField(max_digits=16, decimal_places=6)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agreed_with = models.CharField(max_length=200, blank=True, help_text="The client's contact.")
    agreed_at = models.DateTimeField(default=timezone.now)
    # The comparable programs at the time the target was set.
    p25 = models.FloatField(null=True, blank=True)
    p50 = models.FloatField(null=True, blank=True)
    p75 = models.FloatField(null=True, blank=True)
    comparables = models.PositiveIntegerField(default=0)
    over_promise = models.BooleanField(default=False)
    over_promise_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["service__name", "kpi__position", "kpi__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "service", "kpi"], name="one_target_per_program_line_kpi"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.target} ({self.program_id})"


class MetricSource(models.Model):
    """A platform or DSP export, with the column mapping its files are read with.

    `mapping` holds: `date`, `program`, `service` (column headings), either `metrics`
    ({base metric: heading}, one column per metric) or `metric` and `value` (one row
    per metric), and optionally `currency` (a heading); `date_format` is a strptime
    pattern, `thousands` and `decimal` the separators of numbers in the file, and
    `currency` the currency of amounts when the file has no currency column.
    """

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    mapping = models.JSONField(default=dict, blank=True)
    date_format = models.CharField(max_length=40, default="%Y-%m-%d")
    thousands = models.CharField(max_length=1, blank=True, default=",")
    decimal = models.CharField(max_length=1, default=".")
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MetricValue(models.Model):
    program = models.ForeignKey(
        "onboarding.Program", on_delete=models.CASCADE, related_name="metric_values"
    )
    service = models.ForeignKey("clients.ServiceLine", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(MetricSource, on_delete=models.PROTECT, related_name="values")
    date = models.DateField()
    metric = models.CharField(max_length=24, choices=BaseMetric.choices)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    currency = models.CharField(max_length=3, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "service", "source", "date", "metric"],
                name="one_value_per_program_line_source_day_metric",
            )
        ]
        indexes = [models.Index(fields=["program", "date"])]

    def __str__(self) -> str:
        return f"{self.program_id} {self.date} {self.metric}={self.value}"


class PacingEpisode(models.Model):
    """Days a program spends outside the pacing bands; its AM is told once, at the start."""

    program = models.ForeignKey(
        "onboarding.Program", on_delete=models.CASCADE, related_name="pacing_episodes"
    )
    state = models.CharField(max_length=6, choices=PaceState.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    pace = models.FloatField()
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"],
                condition=models.Q(ended_on__isnull=True),
                name="one_open_pacing_episode_per_program",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.state} from {self.started_on}"


class ReportNote(models.Model):
    """What the AM says of a program's month in its report."""

    program = models.ForeignKey(
        "onboarding.Program", on_delete=models.CASCADE, related_name="report_notes"
    )
    period = models.DateField(help_text="The first day of the month.")
    text = models.TextField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "period"], name="one_note_per_report")
        ]

    def __str__(self) -> str:
        return f"note {self.program_id} {self.period}"


class ReportSend(models.Model):
    """The monthly report of one program and period, sent once (the unique key is the lock)."""

    program = models.ForeignKey(
        "onboarding.Program", on_delete=models.CASCADE, related_name="report_sends"
    )
    period = models.DateField()
    state = models.CharField(max_length=8, choices=SendState.choices)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "period"], name="one_report_per_period")
        ]

    def __str__(self) -> str:
        return f"report {self.program_id} {self.period}"


ZERO = Decimal(0)
