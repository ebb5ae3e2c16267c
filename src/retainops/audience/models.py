"""Definitions of the end-customer data: data sets, their sources and column
mappings, import runs, merge decisions and channel-advice rules.

The orders themselves live in DuckDB (audience/warehouse.py); these rows say
where they came from and what the analyst decided about them.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from retainops.audience.choices import (
    RUN_STATE_COLOURS,
    Channel,
    Decision,
    Field,
    FileFormat,
    RunState,
    Segment,
    SourceKind,
)
from retainops.clients.models import Client
from retainops.core.choices import badge
from retainops.core.models import FileImportProgress

R = RunState


class DataSet(models.Model):
    """A client's end customers and their orders, from one or more sources."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="data_sets")
    name = models.CharField(max_length=120)
    currency = models.CharField(
        max_length=3, default="EUR", help_text="The currency revenue is reported in."
    )
    match_threshold = models.FloatField(
        default=0.9,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.9999)],
        help_text="Two records are the same person from this match probability up.",
    )
    recent_days = models.PositiveSmallIntegerField(
        default=182, help_text="'Recent' in the advice rules: this many days back."
    )
    horizon_weeks = models.PositiveSmallIntegerField(
        default=26, help_text="Expected purchases and value are over this many weeks."
    )
    rfm_cutoffs = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Empty: scores are quintiles. Or four ascending cut-offs per measure, e.g. "
            '{"recency": [30, 90, 180, 365], "frequency": [1, 2, 4, 8], '
            '"monetary": [50, 100, 250, 500]}.'
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    analysed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="audience_dataset_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.client.name}: {self.name}"


class Source(models.Model):
    """Where a data set's orders come from (a marketplace, the store, a retailer)."""

    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.STORE)
    file_format = models.CharField(max_length=10, choices=FileFormat.choices, default="csv")
    encoding = models.CharField(max_length=20, default="utf-8")
    delimiter = models.CharField(max_length=1, default=",")
    date_format = models.CharField(
        max_length=40, blank=True, help_text="e.g. %d.%m.%Y; empty: ISO dates (2026-03-31)."
    )
    default_country = models.CharField(
        max_length=2, default="DE", help_text="Phones without a +prefix are read in this country."
    )
    default_currency = models.CharField(
        max_length=3, blank=True, help_text="Used when the file has no currency column."
    )

    class Meta:
        ordering = ["data_set", "name"]
        constraints = [
            models.UniqueConstraint(fields=["data_set", "name"], name="audience_source_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def mapping(self) -> dict[str, str]:
        """Field -> the file's column name."""
        return {m.field: m.column for m in self.columns.all()}


class ColumnMapping(models.Model):
    """Which column of the source's files holds a field."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="columns")
    field = models.CharField(max_length=20, choices=Field.choices)
    column = models.CharField(max_length=120)

    class Meta:
        ordering = ["source", "field"]
        constraints = [
            models.UniqueConstraint(fields=["source", "field"], name="audience_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.field} <- {self.column}"


class ImportRun(FileImportProgress, FSMModelMixin, models.Model):
    """One file imported into a source: all of it or none of it."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    file_name = models.CharField(max_length=255)
    stored_as = models.CharField(
        max_length=500, help_text="Where the upload waits, under DATA_DIR."
    )
    file_hash = models.CharField(max_length=64, blank=True)
    state = FSMField(max_length=12, choices=RunState.choices, default=R.QUEUED, protected=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    already_imported = models.BooleanField(default=False)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def state_badge(self) -> dict[str, str]:
        return badge(RunState, RUN_STATE_COLOURS, self.state)

    @transition(field=state, source=[R.QUEUED, R.RUNNING], target=R.RUNNING)
    def start(self) -> None:
        """Claimed by a worker (again, when the one before stopped answering)."""

    @transition(field=state, source=R.RUNNING, target=R.SUCCEEDED)
    def succeed(self) -> None:
        """Every row written, or the file was already imported."""

    @transition(field=state, source=[R.QUEUED, R.RUNNING], target=R.FAILED)
    def fail(self) -> None:
        """Bad rows (listed in `errors`): nothing of the file was written."""


class MergeDecision(models.Model):
    """An analyst's word on identity resolution: keep a record apart from the customer
    it was joined to (split), or join two records the matching left apart (merge)."""

    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    record_key = models.CharField(max_length=200)
    other_key = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="split") | ~Q(other_key=""),
                name="audience_merge_names_both_records",
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.record_key}"


class AdviceRule(models.Model):
    """Which channel reaches which customers: the first active rule that fits decides.

    A rule fits a customer when every condition it sets holds (empty = any)."""

    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=10)
    name = models.CharField(max_length=120)
    segment = models.CharField(max_length=12, choices=Segment.choices, blank=True)
    max_recent_orders = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many orders in the recent days."
    )
    min_expected_value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Expected value over the horizon of at least this much.",
    )
    max_expected_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    min_p_alive = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["data_set", "position", "id"]

    def __str__(self) -> str:
        return self.name


class ChannelCost(models.Model):
    """What a contact costs in a channel and how many answer it, for campaign plans."""

    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="channel_costs")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    cost_per_contact = models.DecimalField(max_digits=8, decimal_places=3)
    response_rate = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of living customers contacted who buy (0.05 = 5%).",
    )

    class Meta:
        ordering = ["data_set", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["data_set", "channel"], name="audience_cost_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.cost_per_contact} per contact"
