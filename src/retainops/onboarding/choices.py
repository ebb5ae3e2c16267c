"""Program states, the kinds of purchase-order details, and proof decisions."""

from django.db import models


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not sold yet)"
    SOLD = "sold", "Sold: onboarding"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


PROGRAM_STATUS_COLOURS: dict[str, str] = {
    ProgramStatus.DRAFT: "grey",
    ProgramStatus.SOLD: "blue",
    ProgramStatus.LIVE: "green",
    ProgramStatus.ENDED: "grey",
    ProgramStatus.CANCELLED: "red",
}


class DetailKind(models.TextChoices):
    TEXT = "text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    URL = "url", "Web address"
    EMAIL = "email", "E-mail address"
    DATE = "date", "Date"
    NUMBER = "number", "Number"
    CHOICE = "choice", "One of a list"


class ProofKind(models.TextChoices):
    CREATIVE = "creative", "Creative"
    TARGETING = "targeting", "Targeting"


class ProofDecision(models.TextChoices):
    PENDING = "pending", "Waiting for the client"
    APPROVED = "approved", "Approved"
    CHANGES = "changes", "Sent back with comments"


PROOF_DECISION_COLOURS: dict[str, str] = {
    ProofDecision.PENDING: "amber",
    ProofDecision.APPROVED: "green",
    ProofDecision.CHANGES: "red",
}
