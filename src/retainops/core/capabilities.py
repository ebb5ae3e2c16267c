"""What each role may do.

A capability is a named permission checked inside services. Roles carry a
list of capabilities (editable by administrators); the built-in roles start
with the defaults below, written by a data migration.
"""

from django.db import models

from retainops.core.choices import RoleCode


class Capability(models.TextChoices):
    SEE_ALL_UNITS = "units.see_all", "See every business unit"
    CREATE_CLIENT = "client.create", "Create clients"
    EDIT_CLIENT = "client.edit", "Edit clients, their team, contacts and tools"
    CHANGE_CLIENT_STATUS = "client.status", "Change a client's status"
    DELETE_CLIENT = "client.delete", "Delete clients entered by mistake"
    EDIT_CONTRACT = "contract.edit", "Create and edit contracts"
    IMPORT_DATA = "data.import", "Import clients and contracts"
    MANAGE_CATALOGUE = "catalogue.manage", "Manage the service and tool catalogues"
    MANAGE_USERS = "users.manage", "Manage users, roles and teams"
    MANAGE_UNITS = "units.manage", "Manage business units"
    MANAGE_MESSAGES = "messages.manage", "Manage the outbox, templates, lists and webhooks"
    MANAGE_PLAYBOOKS = "playbooks.manage", "Publish and retire playbooks"
    RUN_PLAYBOOKS = "runs.manage", "Start and cancel playbook runs, move their dates"
    SUPERVISE_TASKS = "tasks.supervise", "Reassign anyone's tasks and skip steps"
    RAISE_CHANGES = "changes.raise", "Raise, update, submit and withdraw change requests"
    PLAN_CONTACTS = "cadence.plan", "Edit contact plans, log touchpoints, settle planned contacts"
    HANDLE_COMPLAINTS = "complaints.handle", "Log complaints and work them to resolution"
    MANAGE_COMPLAINTS = "complaints.manage", "Manage service levels, business hours and root causes"
    PLAN_DROPS = "drops.plan", "Plan marketing drops, the roster, training packs and results"
    OVERRIDE_DROP_READINESS = "drops.override", "Mark a drop ready with gates still open"
    ANALYSE_AUDIENCE = "audience.analyse", "Import end-customer data, resolve, segment and advise"


_ALL = [c.value for c in Capability]
_EDITORS = [
    Capability.EDIT_CLIENT.value,
    Capability.CREATE_CLIENT.value,
    Capability.RUN_PLAYBOOKS.value,
]
_SUPERVISOR = Capability.SUPERVISE_TASKS.value

_RAISE = Capability.RAISE_CHANGES.value

DEFAULT_ROLE_CAPABILITIES: dict[str, list[str]] = {
    RoleCode.ADMINISTRATOR: _ALL,
    RoleCode.SALES_REP: [*_EDITORS, Capability.EDIT_CONTRACT],
    RoleCode.CLIENT_SUCCESS_MANAGER: [*_EDITORS, Capability.CHANGE_CLIENT_STATUS, _RAISE],
    RoleCode.ACCOUNT_MANAGER: [
        *_EDITORS,
        Capability.CHANGE_CLIENT_STATUS,
        Capability.EDIT_CONTRACT,
        _RAISE,
    ],
    RoleCode.TEAM_LEAD: [
        *_EDITORS,
        Capability.CHANGE_CLIENT_STATUS,
        Capability.EDIT_CONTRACT,
        _SUPERVISOR,
        _RAISE,
    ],
    RoleCode.DEPARTMENT_MANAGER: [
        *_EDITORS,
        Capability.CHANGE_CLIENT_STATUS,
        Capability.EDIT_CONTRACT,
        Capability.IMPORT_DATA,
        _SUPERVISOR,
        _RAISE,
    ],
    RoleCode.OPERATIONS_LEAD: [
        *_EDITORS,
        Capability.CHANGE_CLIENT_STATUS,
        Capability.IMPORT_DATA,
        Capability.MANAGE_MESSAGES,
        Capability.MANAGE_PLAYBOOKS,
        _SUPERVISOR,
        _RAISE,
    ],
    RoleCode.FINANCE: [Capability.EDIT_CONTRACT],
    RoleCode.ACCOUNTING: [Capability.EDIT_CONTRACT],
    RoleCode.RETENTION_TEAM: [Capability.CHANGE_CLIENT_STATUS, _RAISE],
    RoleCode.CREATIVE_DIRECTOR: [],
    RoleCode.APPROVER: [],
    RoleCode.PARTNER_TEAM: [],
    RoleCode.SERVICE_TEAM: [],
}

# Complaints are logged by whoever speaks to clients, and configured by operations.
COMPLAINT_HANDLERS = (
    RoleCode.ACCOUNT_MANAGER,
    RoleCode.CLIENT_SUCCESS_MANAGER,
    RoleCode.RETENTION_TEAM,
    RoleCode.TEAM_LEAD,
    RoleCode.DEPARTMENT_MANAGER,
    RoleCode.OPERATIONS_LEAD,
    RoleCode.SERVICE_TEAM,
)
for _code in COMPLAINT_HANDLERS:
    DEFAULT_ROLE_CAPABILITIES[_code].append(Capability.HANDLE_COMPLAINTS.value)
DEFAULT_ROLE_CAPABILITIES[RoleCode.OPERATIONS_LEAD].append(Capability.MANAGE_COMPLAINTS.value)

# Drops are planned by the client's team and the service team; overridden by leads.
DROP_PLANNERS = (
    RoleCode.ACCOUNT_MANAGER,
    RoleCode.CLIENT_SUCCESS_MANAGER,
    RoleCode.TEAM_LEAD,
    RoleCode.DEPARTMENT_MANAGER,
    RoleCode.OPERATIONS_LEAD,
    RoleCode.SERVICE_TEAM,
)
DROP_OVERRIDERS = (RoleCode.TEAM_LEAD, RoleCode.DEPARTMENT_MANAGER, RoleCode.OPERATIONS_LEAD)
for _code in DROP_PLANNERS:
    DEFAULT_ROLE_CAPABILITIES[_code].append(Capability.PLAN_DROPS.value)
for _code in DROP_OVERRIDERS:
    DEFAULT_ROLE_CAPABILITIES[_code].append(Capability.OVERRIDE_DROP_READINESS.value)
