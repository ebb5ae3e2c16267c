"""Who a step is for: an owner spec (`role:`, `team:`, `user:`) resolved against the
client's team now, the queue of an unassigned task, and the people a reminder,
escalation or message step names."""

from typing import Any

from retainops.clients.models import Client, ClientTeamMember
from retainops.core.models import Team, User
from retainops.playbooks.models import Task


def resolve_owner(spec: str | None, client: Client) -> dict[str, Any]:
    """Assignee or queue fields for an owner spec, resolved against the client's team now."""
    fields: dict[str, Any] = {"assignee": None, "queue_team": None, "queue_role": ""}
    if not spec:
        return fields
    kind, _, value = spec.partition(":")
    if kind == "role":
        member = (
            ClientTeamMember.objects.filter(client=client, role__code=value)
            .select_related("user")
            .first()
        )
        if member is not None and member.user.is_active:
            fields["assignee"] = member.user
        else:
            fields["queue_role"] = value
    elif kind == "team":
        fields["queue_team"] = Team.objects.filter(name=value).first()
    elif kind == "user":
        fields["assignee"] = User.objects.filter(username=value, is_active=True).first()
    return fields


def role_of(spec: str | None) -> str:
    kind, _, value = (spec or "").partition(":")
    return value if kind == "role" else ""


def queue_members(task: Task) -> list[User]:
    """The people who may take an unassigned task: its team, or its role in its unit."""
    if task.queue_team_id:
        return list(User.objects.filter(teams=task.queue_team_id, is_active=True))
    if task.queue_role:
        return list(
            User.objects.filter(
                is_active=True, roles__code=task.queue_role, business_units=task.business_unit_id
            ).distinct()
        )
    return []


def owners_of(task: Task) -> list[User]:
    return [task.assignee] if task.assignee_id and task.assignee else queue_members(task)


def people_for(spec: str, task: Task) -> list[User]:
    """The people an escalation or reminder target names, for this task's client."""
    fields = resolve_owner(spec, task.client)
    if fields["assignee"] is not None:
        return [fields["assignee"]]
    probe = Task(
        queue_team=fields["queue_team"],
        queue_role=fields["queue_role"],
        business_unit_id=task.business_unit_id,
    )
    return queue_members(probe)


def user_specs(people: list[User]) -> list[str]:
    return [f"user:{p.username}" for p in people if p.email]


def expand_recipients(specs: list[str], task: Task) -> list[str]:
    """Recipient specs with the step-only names replaced: `owner` and `requester`."""
    expanded: list[str] = []
    for spec in specs:
        if spec == "owner":
            expanded.extend(user_specs(owners_of(task)))
        elif spec == "requester":
            requester = task.run.requested_by
            expanded.extend(user_specs([requester] if requester else []))
        else:
            expanded.append(spec)
    return expanded


def unit_stand_in(spec: str, client: Client) -> str | None:
    """For a `role:` the client's team does not hold, the client's business unit's active
    holder of that role (the longest-standing, by id, so the choice does not vary), as a
    `user:` spec; None when nobody in the unit holds it, or for any other spec.

    A meeting cannot wait in a queue: the design meeting with the creative director
    invites the unit's one rather than going without."""
    role = role_of(spec)
    if not role:
        return None
    person = (
        User.objects.filter(
            is_active=True, roles__code=role, business_units=client.business_unit_id
        )
        .order_by("id")
        .first()
    )
    return f"user:{person.username}" if person is not None else None
