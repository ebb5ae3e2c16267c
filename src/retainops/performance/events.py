"""What happens to KPI targets, performance data and reports, as domain events (see
core/events.py). Emitted by performance/services.py and the sweeps."""

from dataclasses import dataclass

from retainops.core.events import DomainEvent
from retainops.onboarding.models import Program
from retainops.performance.models import PacingEpisode, ProgramKpi, ReportSend


@dataclass(frozen=True, kw_only=True, eq=False)
class TargetSet(DomainEvent):
    """A KPI target was agreed for a program line (`over_promise` when beyond the
    75th percentile of comparable programs)."""

    name = "performance.target_set"
    target: ProgramKpi
    over_promise: bool


@dataclass(frozen=True, kw_only=True, eq=False)
class MetricsImported(DomainEvent):
    """Performance data was written for some programs (`created`, `updated` rows)."""

    name = "performance.metrics_imported"
    program_ids: tuple[int, ...]
    created: int
    updated: int


@dataclass(frozen=True, kw_only=True, eq=False)
class PacingOffTrack(DomainEvent):
    """A program started pacing outside the bands: its account manager was told."""

    name = "performance.pacing_off_track"
    episode: PacingEpisode


@dataclass(frozen=True, kw_only=True, eq=False)
class ReportSent(DomainEvent):
    """A program's monthly report was queued for its client (once per period)."""

    name = "performance.report_sent"
    send: ReportSend
    program: Program
