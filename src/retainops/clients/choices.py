"""Statuses of clients and contracts, with the colours their badges use."""

from django.db import models


class ClientStatus(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CANCELLING = "cancelling", "Cancelling (notice given)"
    CANCELLED = "cancelled", "Cancelled"


CLIENT_STATUS_COLOURS: dict[str, str] = {
    ClientStatus.ONBOARDING: "blue",
    ClientStatus.ACTIVE: "green",
    ClientStatus.PAUSED: "amber",
    ClientStatus.CANCELLING: "orange",
    ClientStatus.CANCELLED: "grey",
}


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


CONTRACT_STATUS_COLOURS: dict[str, str] = {
    ContractStatus.DRAFT: "grey",
    ContractStatus.ACTIVE: "green",
    ContractStatus.PAUSED: "amber",
    ContractStatus.ENDED: "grey",
    ContractStatus.CANCELLED: "red",
}


class ToolKind(models.TextChoices):
    TOOL = "tool", "Tool"
    BOARD = "board", "Board"
