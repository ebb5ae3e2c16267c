"""People, roles, teams and business units: who works where, and who may do what."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from retainops.core.capabilities import Capability
from retainops.core.choices import JOB_STATE_COLOURS, JobState, RoleCode, badge
from retainops.core.time_zones import validate_time_zone


class BusinessUnit(models.Model):
    """A brand or division of the agency; every client belongs to exactly one."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A job a person does; its capabilities say what the job may change.

    Built-in roles (those in RoleCode) are referred to by processes and cannot
    be deleted; administrators may add roles and edit any role's capabilities.
    """

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_builtin(self) -> bool:
        return self.code in RoleCode.values


class User(AbstractUser):
    """A member of the agency's staff, with roles and business units."""

    roles = models.ManyToManyField(Role, blank=True, related_name="users")
    business_units = models.ManyToManyField(BusinessUnit, blank=True, related_name="staff")
    time_zone = models.CharField(
        max_length=60,
        blank=True,
        validators=[validate_time_zone],
        help_text="Where the person reads times, e.g. Europe/London; blank: the site's.",
    )
    history = HistoricalRecords(m2m_fields=[roles, business_units])

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def role_codes(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_role_codes", None)
        if cached is None:
            cached = self._read_roles()[0]
        return cached

    def capability_set(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_capabilities", None)
        if cached is None:
            cached = self._read_roles()[1]
        return cached

    def _read_roles(self) -> tuple[set[str], set[str]]:
        """The person's role codes and capabilities, from one read of their roles (every
        page asks for both: its permissions and the queues of the navigation)."""
        codes: set[str] = set()
        capabilities: set[str] = set(Capability.values) if self.is_superuser else set()
        for code, caps in self.roles.values_list("code", "capabilities"):
            codes.add(code)
            if not self.is_superuser:
                capabilities.update(caps or [])
        self._role_codes, self._capabilities = codes, capabilities
        return codes, capabilities

    def has_capability(self, capability: str) -> bool:
        return self.is_active and capability in self.capability_set()

    def unit_ids(self) -> set[int]:
        cached: set[int] | None = getattr(self, "_unit_ids", None)
        if cached is None:
            cached = set(self.business_units.values_list("id", flat=True))
            self._unit_ids = cached
        return cached

    def forget_cached_access(self) -> None:
        for name in ("_role_codes", "_capabilities", "_unit_ids"):
            self.__dict__.pop(name, None)


class Team(models.Model):
    """A named group of people, used as a work queue by processes."""

    name = models.CharField(max_length=120, unique=True)
    business_unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def valid(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token for programs; only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"token for {self.user}"

    @classmethod
    def issue(cls, user: Any) -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=_hash_token(raw),
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
        )
        return token, raw

    @classmethod
    def user_for(cls, raw: str) -> Any | None:
        token = cls.objects.valid().select_related("user").filter(key_hash=_hash_token(raw)).first()
        if token is None or not token.user.is_active:
            return None
        return token.user


class DemoMarker(models.Model):
    """Present only when `seed_demo` has loaded the demo data set.

    The login page lists demo accounts only while this row exists, so a
    production database (never seeded) never advertises a password.
    """

    loaded_at = models.DateTimeField(auto_now=True)
    usernames = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"demo data loaded at {self.loaded_at:%Y-%m-%d %H:%M}"

    @classmethod
    def demo_usernames(cls) -> list[str]:
        marker = cls.objects.first()
        return list(marker.usernames) if marker else []


J = JobState


class FileImportProgress:
    """How far a file's background import has come, from its `state`, `rows_read` and
    `rows_total` (shared by the import jobs and the order files' runs)."""

    state: str
    rows_read: int
    rows_total: int

    @property
    def percent(self) -> int:
        """Done is 100; a running import stays below it until its rows are written."""
        if self.state == JobState.SUCCEEDED:
            return 100
        if not self.rows_total:
            return 0
        return min(99, round(100 * self.rows_read / self.rows_total))

    @property
    def is_open(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)


class ImportJob(FileImportProgress, FSMModelMixin, models.Model):
    """One uploaded file imported by the worker: all of its rows or none of them.

    `kind` names the handler an app registered (core.imports); `options` is what that
    handler needs besides the file (a source's id...). `result` is the report the page
    and the API show: counts, and the problems by row and column.
    """

    kind = models.CharField(max_length=40)
    file_name = models.CharField(max_length=255)
    stored_as = models.CharField(max_length=120, help_text="The upload's name under DATA_DIR.")
    options = models.JSONField(default=dict, blank=True)
    state = FSMField(max_length=12, choices=JobState.choices, default=J.QUEUED, protected=True)
    step = models.CharField(max_length=40, blank=True, help_text="What a running job is doing.")
    rows_total = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=160, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.file_name} ({self.get_state_display()})"

    @property
    def state_badge(self) -> dict[str, str]:
        return badge(JobState, JOB_STATE_COLOURS, self.state)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.result.get("errors") or [])

    @property
    def bad_rows(self) -> int:
        return len({e.get("row") for e in self.errors if e.get("row") is not None})

    @transition(field=state, source=[J.QUEUED, J.RUNNING], target=J.RUNNING)
    def start(self) -> None:
        """Claimed by a worker (again, when the one before stopped answering)."""

    @transition(field=state, source=J.RUNNING, target=J.SUCCEEDED)
    def succeed(self) -> None:
        """Every row written, in the same transaction as this move."""

    @transition(field=state, source=[J.QUEUED, J.RUNNING], target=J.FAILED)
    def fail(self) -> None:
        """Bad rows (listed in `result`) or a refusal: nothing of the file was written."""


class SavedFilter(models.Model):
    """A person's named set of filters on one list page, kept as the page's query string.

    Only the filters the page knows are kept (core/saved_filters.py), so a saved link
    never carries anything else into the page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    page = models.CharField(max_length=40)
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "page", "name"], name="saved_filter_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.page})"
