"""What every approval chain must do once a change request is approved.

A route may send a business unit's requests of one kind through a playbook of its own,
but what follows approval is the same escalation pathway for every request: operations
is told on the `change-notice` list with the change notes, the operations lead passes the
change to the department manager, the department is reminded before the date,
accounting processes it, the change takes effect by itself on its effective date, and a
cancellation is offboarded (removed from every tool, each removal verified) and the
vendor told. A playbook that leaves a step out would leave requests stuck at
"approved" with nothing to move them on, so it is refused where it is chosen: when a
route is saved (admin_services.save_route), and when a request is submitted
(services.submit_change_request), since a playbook can be republished after its route
was saved.

The check, over the definition of the playbook's current version:
  1. Find, for each requirement below, the steps that do it (e.g. `on_done: apply_change`
     on a wait due `at effective`); none: the requirement is missing.
  2. Of those, keep the steps that come after the step of the requirement they follow
     (through `needs`, directly or not): approval before the rest, the change taking
     effect before offboarding, each removal verified before the vendor is told.
  3. A step kept must not be skipped by its condition for a kind of request the route
     covers; such a condition may read only the `kind`, since any other field (a
     credit, the MRR) would skip it for some requests of that kind.
  4. The step that marks the request approved must wait for every approval step.
Every problem is named, so that one refusal says all that is missing.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from retainops.changes.choices import ChangeKind
from retainops.playbooks.choices import StepKind
from retainops.playbooks.definition import Definition, Step, condition_holds, condition_names
from retainops.playbooks.models import Playbook

EVERY_KIND = tuple(ChangeKind.values)
_CONSTANTS = {"True", "False", "None", "true", "false", "none"}


def _due(step: Step) -> str:
    return " ".join((step.due or "").lower().split())


@dataclass(frozen=True)
class Requirement:
    """One thing an approval chain must do after approval, and what it comes after."""

    key: str
    what: str
    does_it: Callable[[Step], bool]
    after: str | None = None
    kinds: tuple[str, ...] = EVERY_KIND


REQUIREMENTS = (
    Requirement(
        "approved",
        "a step that marks the request approved (on_done: mark_approved)",
        lambda s: s.on_done == "mark_approved",
    ),
    Requirement(
        "announce",
        "a message to operations with the change notes "
        "(kind: message, template: change-approved, to: [list:change-notice])",
        lambda s: (
            s.kind == StepKind.MESSAGE
            and s.template == "change-approved"
            and "list:change-notice" in s.to
        ),
        after="approved",
    ),
    Requirement(
        "hand_to_department",
        "the operations lead's task to pass the change to the department manager "
        "(owner: role:operations_lead)",
        lambda s: s.kind == StepKind.TASK and s.owner == "role:operations_lead",
        after="approved",
    ),
    Requirement(
        "prepare_department",
        "the department manager's task with reminders before the effective date "
        "(owner: role:department_manager, remind: [...])",
        lambda s: (
            s.kind == StepKind.TASK and s.owner == "role:department_manager" and bool(s.remind)
        ),
        after="approved",
    ),
    Requirement(
        "process",
        "accounting's processing (on_done: mark_processed)",
        lambda s: s.on_done == "mark_processed",
        after="approved",
    ),
    Requirement(
        "take_effect",
        "the change taking effect on its date (kind: wait, due: at effective, "
        "on_done: apply_change)",
        lambda s: (
            s.kind == StepKind.WAIT and s.on_done == "apply_change" and _due(s) == "at effective"
        ),
        after="approved",
    ),
    Requirement(
        "remove_from_tools",
        "removal from the client's tools (requires: [tools_removed])",
        lambda s: "tools_removed" in s.requires,
        after="take_effect",
        kinds=(ChangeKind.CANCELLATION,),
    ),
    Requirement(
        "verify_removals",
        "verification of each removal (requires: [removals_verified])",
        lambda s: "removals_verified" in s.requires,
        after="remove_from_tools",
        kinds=(ChangeKind.CANCELLATION,),
    ),
    Requirement(
        "vendor_notice",
        "the cancellation notice to the vendor "
        "(kind: message, template: vendor-cancellation-notice)",
        lambda s: s.kind == StepKind.MESSAGE and s.template == "vendor-cancellation-notice",
        after="verify_removals",
        kinds=(ChangeKind.CANCELLATION,),
    ),
)


def _all_needs(definition: Definition) -> dict[str, set[str]]:
    """For each step, every step it waits for (needs of needs too)."""
    direct = {s.key: set(s.needs) for s in definition.steps}
    closed: dict[str, set[str]] = {}
    for key in direct:
        found: set[str] = set()
        pending = list(direct[key])
        while pending:
            need = pending.pop()
            if need not in found:
                found.add(need)
                pending.extend(direct.get(need, ()))
        closed[key] = found
    return closed


def _kind_label(kind: str) -> str:
    return str(ChangeKind(kind).label).split(" (")[0].lower()


def _condition_problem(step: Step, kinds: list[str]) -> str | None:
    """Why the step's condition would skip it for one of these kinds, if it would."""
    if not step.when or not kinds:
        return None
    names = condition_names(step.when) - _CONSTANTS
    if names - {"kind"}:
        return (
            f"step {step.key!r} runs only when {step.when}: after approval a step may "
            "depend on the kind of request alone"
        )
    skipped = [k for k in kinds if not condition_holds(step.when, {"kind": k})]
    if skipped:
        which = ", ".join(_kind_label(k) for k in skipped)
        return f"step {step.key!r} is skipped for {which} by its condition ({step.when})"
    return None


def follow_through_problems(definition: Definition, kinds: Iterable[str]) -> list[str]:
    """What the chain lacks after approval for requests of these kinds ([] when nothing)."""
    covered = list(kinds)
    needs = _all_needs(definition)
    chosen: dict[str, str] = {}
    problems: list[str] = []
    for requirement in REQUIREMENTS:
        relevant = [k for k in covered if k in requirement.kinds]
        if not relevant:
            continue
        doers = [s for s in definition.steps if requirement.does_it(s)]
        if not doers:
            problems.append(f"it lacks {requirement.what}")
            continue
        before = chosen.get(requirement.after or "")
        in_order = [s for s in doers if before is None or before in needs[s.key]]
        if not in_order:
            problems.append(
                f"step {doers[0].key!r} must come after step {before!r} (add it to its needs)"
            )
            continue
        step = next((s for s in in_order if _condition_problem(s, relevant) is None), None)
        if step is None:
            problems.append(str(_condition_problem(in_order[0], relevant)))
            continue
        chosen[requirement.key] = step.key
    approved = chosen.get("approved")
    if approved is not None:
        for step in definition.steps:
            waits = step.key == approved or step.key in needs[approved]
            if step.kind == StepKind.APPROVAL and not waits:
                problems.append(
                    f"step {approved!r} marks the request approved without waiting for the "
                    f"approval {step.key!r} (add it to its needs)"
                )
    return problems


def chain_problems(playbook: Playbook, kinds: Iterable[str]) -> list[str]:
    """What keeps the playbook's current version from carrying requests of these kinds
    through to their effective date ([] when nothing does)."""
    if playbook.current is None:
        return ["it has no published version"]
    return follow_through_problems(playbook.current.definition, kinds)


def refusal(playbook: Playbook, problems: list[str]) -> str:
    return (
        f"The playbook {playbook.key!r} does not carry a request through after approval: "
        + "; ".join(problems)
        + ". Start from the shipped change-approval playbook, which has every step."
    )
