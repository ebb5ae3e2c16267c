"""What happens to end-customer data, as domain events (see core/events.py)."""

from dataclasses import dataclass

from retainops.audience.models import DataSet, ImportRun, MergeDecision
from retainops.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True, eq=False)
class ImportFinished(DomainEvent):
    """An order file was imported (`run.rows_added` rows) or refused with its bad rows
    (`run.state`)."""

    name = "audience.import_finished"
    run: ImportRun


@dataclass(frozen=True, kw_only=True, eq=False)
class DataSetAnalysed(DomainEvent):
    """Identities, RFM segments and the purchase model of a data set were computed again."""

    name = "audience.analysed"
    data_set: DataSet
    customers: int


@dataclass(frozen=True, kw_only=True, eq=False)
class MergeDecided(DomainEvent):
    """An analyst split a record from its customer or merged two records."""

    name = "audience.merge_decided"
    decision: MergeDecision
