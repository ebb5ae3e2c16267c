"""Health scorecards (versioned per business unit), the daily snapshots they give each
client, the alerts of a band dropped, and the churn models trained on the history."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from retainops.health.choices import BAND_COLOURS, Band, ModelState


class Scorecard(models.Model):
    """The health scorecard of a business unit (none: the agency's default for units
    without their own). Its content lives in versions; the newest one is in force."""

    business_unit = models.OneToOneField(
        "core.BusinessUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="health_scorecard",
    )
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["business_unit__name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> "ScorecardVersion | None":
        return self.versions.order_by("-number").first()


class ScorecardVersion(models.Model):
    """One version of a scorecard: its bands and measures. Never edited once written:
    a change writes the next version, so past snapshots keep the one they were scored by.
    A total of `green_from` or more is green, `amber_from` or more amber, else red."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    green_from = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    amber_from = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scorecard", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "number"], name="one_scorecard_number")
        ]

    def __str__(self) -> str:
        return f"{self.scorecard} v{self.number}"

    def band_of(self, score: float) -> str:
        if score >= self.green_from:
            return Band.GREEN
        if score >= self.amber_from:
            return Band.AMBER
        return Band.RED


class Measure(models.Model):
    """A signal in a scorecard version: full points at `good` or better, none at `bad`
    or worse, in between on a straight line; `weight` is its share of the total."""

    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="measures")
    signal = models.CharField(max_length=60)
    weight = models.FloatField(validators=[MinValueValidator(0.01)])
    good = models.FloatField()
    bad = models.FloatField()

    class Meta:
        ordering = ["version", "-weight", "signal"]
        constraints = [
            models.UniqueConstraint(fields=["version", "signal"], name="one_measure_per_signal")
        ]

    def __str__(self) -> str:
        return f"{self.signal} x{self.weight}"


class HealthSnapshot(models.Model):
    """A client's health on one day, by the scorecard version then in force: the total
    (0-100), its band, each measure's value, points and words, and the churn risk
    with its reasons when a model was trained."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="health_snapshots"
    )
    day = models.DateField()
    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    band = models.CharField(max_length=8, choices=Band.choices)
    contributions = models.JSONField(default=list)
    risk = models.FloatField(null=True, blank=True)
    risk_reasons = models.JSONField(default=list)
    model = models.ForeignKey(
        "ChurnModelRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["client", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="one_snapshot_per_client_day")
        ]
        indexes = [
            models.Index(fields=["day", "band"], name="health_snapshot_day_band"),
            models.Index(fields=["client", "-day"], name="health_snapshot_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.day}: {self.score:.0f}"

    @property
    def band_badge(self) -> dict:
        return {"label": Band(self.band).label, "colour": BAND_COLOURS[self.band]}


class SnapshotRun(models.Model):
    """The daily sweep of one day: started, and finished once every client has its
    snapshot, so the worker knows at a glance that the day is done."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    snapshots = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"health sweep {self.day}"


class BandAlert(models.Model):
    """A client dropped a band: its account manager was told, once for that drop."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    from_band = models.CharField(max_length=8, choices=Band.choices)
    to_band = models.CharField(max_length=8, choices=Band.choices)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="one_band_alert_per_client_day")
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.from_band} to {self.to_band} on {self.day}"


class ChurnModelRun(models.Model):
    """A churn model trained on the history: its data window, its held-out figures and
    the fitted model itself (joblib bytes), kept so every score can be traced to it."""

    state = models.CharField(max_length=10, choices=ModelState.choices)
    trained_at = models.DateTimeField(default=timezone.now)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    test_from = models.DateField(null=True, blank=True)
    chosen = models.CharField(max_length=20, blank=True)
    features = models.JSONField(default=list)
    figures = models.JSONField(default=dict)
    rows = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    fitted = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["state", "-trained_at"], name="churn_model_latest")]

    def __str__(self) -> str:
        return f"churn model {self.pk} ({self.chosen or self.state})"

    def figure(self, model: str, name: str) -> float | None:
        found = self.figures.get("evaluations", {}).get(model, {})
        value = found.get(name)
        return None if value is None else float(value)
