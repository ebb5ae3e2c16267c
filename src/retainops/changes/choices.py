"""Kinds, states and outcomes of change requests, with their badge colours."""

from django.db import models


class ChangeKind(models.TextChoices):
    RETENTION = "retention", "Retention (doubts about the value)"
    CANCELLATION = "cancellation", "Cancellation"
    PAUSE = "pause", "Pause"
    CONTRACT_CHANGE = "contract_change", "Contract change (services or budget)"


class Escalation(models.TextChoices):
    RETENTION_TEAM = "retention_team", "Retention team"
    TEAM_LEAD = "team_lead", "Team lead"
    DEPARTMENT_MANAGER = "department_manager", "Department manager"


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "In approval"
    RETURNED = "returned", "Returned to its submitter"
    APPROVED = "approved", "Approved"
    PROCESSED = "processed", "Processed by accounting"
    EFFECTIVE = "effective", "In effect"
    WITHDRAWN = "withdrawn", "Withdrawn"


CHANGE_STATUS_COLOURS: dict[str, str] = {
    ChangeStatus.DRAFT: "grey",
    ChangeStatus.SUBMITTED: "blue",
    ChangeStatus.RETURNED: "orange",
    ChangeStatus.APPROVED: "green",
    ChangeStatus.PROCESSED: "green",
    ChangeStatus.EFFECTIVE: "grey",
    ChangeStatus.WITHDRAWN: "grey",
}


class SaveOutcome(models.TextChoices):
    SAVED = "saved", "Saved as is"
    SAVED_WITH_CHANGE = "saved_with_change", "Saved with a contract change"
    PAUSED = "paused", "Paused instead"
    LOST = "lost", "Lost"


SAVED_OUTCOMES = (SaveOutcome.SAVED, SaveOutcome.SAVED_WITH_CHANGE, SaveOutcome.PAUSED)


class LineAction(models.TextChoices):
    ADD = "add", "Add the service"
    REMOVE = "remove", "Remove the service"
    BUDGET = "budget", "Change the monthly budget"


class RemovalState(models.TextChoices):
    PENDING = "pending", "To remove"
    REMOVED = "removed", "Removed"
    VERIFIED = "verified", "Removal verified"
