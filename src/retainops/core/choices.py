"""Shared choices: roles, and status badges with a label and a colour."""

from collections.abc import Mapping

from django.db import models


def badge(choices: type[models.TextChoices], colours: Mapping[str, str], value: str) -> dict:
    """Label and colour of a status value, the same for pages and the API."""
    return {"value": value, "label": choices(value).label, "colour": colours.get(value, "grey")}


class RoleCode(models.TextChoices):
    """The roles RetainOps' processes refer to; administrators may add others."""

    SALES_REP = "sales_rep", "Sales rep"
    CLIENT_SUCCESS_MANAGER = "client_success_manager", "Client success manager"
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    CREATIVE_DIRECTOR = "creative_director", "Creative director"
    RETENTION_TEAM = "retention_team", "Retention team"
    TEAM_LEAD = "team_lead", "Team lead"
    DEPARTMENT_MANAGER = "department_manager", "Department manager"
    APPROVER = "approver", "Approver"
    FINANCE = "finance", "Finance"
    ACCOUNTING = "accounting", "Accounting"
    OPERATIONS_LEAD = "operations_lead", "Operations lead"
    PARTNER_TEAM = "partner_team", "Partner team"
    SERVICE_TEAM = "service_team", "Service team"
    ADMINISTRATOR = "administrator", "Administrator"


# Roles that sit on a client's own staff team (the others act across clients).
CLIENT_TEAM_ROLES = (
    RoleCode.SALES_REP,
    RoleCode.CLIENT_SUCCESS_MANAGER,
    RoleCode.ACCOUNT_MANAGER,
    RoleCode.CREATIVE_DIRECTOR,
    RoleCode.RETENTION_TEAM,
    RoleCode.TEAM_LEAD,
)


class JobState(models.TextChoices):
    """Where a background import stands."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Refused"


JOB_STATE_COLOURS: dict[str, str] = {
    JobState.QUEUED: "grey",
    JobState.RUNNING: "blue",
    JobState.SUCCEEDED: "green",
    JobState.FAILED: "red",
}
