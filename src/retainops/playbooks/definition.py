"""Playbook definitions: YAML text in, a checked `Definition` out, or every problem named.

Checking runs in three passes:
  1. YAML syntax (the line of the error).
  2. Shape: known fields only, the right types (pydantic), each error named
     by the step it is in.
  3. Meaning: unique step keys; `needs` and due references name real steps or
     declared anchors; no cycle through them; owners, escalation targets and
     skipping roles exist; conditions parse and read only the subject's
     fields; each kind has what it needs (a message its template, a meeting
     its attendees, a wait its due time).
Nothing is stored until all three pass. `docs/playbooks.md` describes the format.
"""

import ast
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as ShapeError
from simpleeval import SimpleEval

from retainops.playbooks.choices import StepKind
from retainops.playbooks.subjects import SUBJECT_TYPES

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
STARTED = "started"
_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_DURATION = re.compile(r"^(\d+)\s*(minute|hour|day|week)s?$")
_DUE = re.compile(
    r"^(?:(?P<n>\d+)\s*(?P<unit>minute|hour|day|week)s?\s+(?P<way>after|before)\s+|at\s+)"
    r"(?P<ref>[a-z][a-z0-9_]*)$"
)
OWNER_KINDS = ("role", "team", "user")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, named by its step (None: the playbook itself)."""

    step: str | None
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"step": self.step, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"step {self.step!r}" if self.step else "playbook"
        return f"{where}{f' ({self.field})' if self.field else ''}: {self.message}"


class DefinitionInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def parse_duration(text: str) -> timedelta:
    """'4 hours', '1 day', '30 minutes', '2 weeks' -> timedelta; ValueError otherwise."""
    match = _DURATION.match(str(text).strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration such as '4 hours' or '2 days'")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class DueRule:
    """'24 hours after sold': an offset from an anchor date or from another step's completion."""

    offset: timedelta
    ref: str

    @classmethod
    def parse(cls, text: str) -> "DueRule":
        match = _DUE.match(" ".join(str(text).strip().lower().split()))
        if not match:
            raise ValueError(
                f"{text!r} is not a due time such as '24 hours after sold', "
                "'2 days before go_live' or 'at go_live'"
            )
        offset = timedelta(0)
        if match.group("n"):
            offset = timedelta(seconds=int(match.group("n")) * _UNITS[match.group("unit")])
            if match.group("way") == "before":
                offset = -offset
        return cls(offset=offset, ref=match.group("ref"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Reminder(_Strict):
    before: str
    to: str = "owner"


class EscalationRule(_Strict):
    after: str = "0 hours"
    to: str
    reassign: bool = False


class Repeat(_Strict):
    """A meeting held again every `every` until the anchor `until` (a calendar series)."""

    every: str
    until: str


class Step(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    # What the client reads for the step on the portal. A step without one is
    # internal: the client never sees its title (titles are written for the team).
    client_title: str = Field(default="", max_length=200)
    kind: StepKind = StepKind.TASK
    description: str = ""
    owner: str | None = None
    due: str | None = None
    needs: list[str] = []
    when: str | None = None
    # Why the step is skipped when `when` is false, in words a reader of the run follows
    # ("no credit is issued"); without it, the condition itself is quoted.
    when_not: str = Field("", max_length=200)
    remind: list[Reminder] = []
    escalate: list[EscalationRule] = []
    skippable_by: list[str] = []
    template: str | None = None
    to: list[str] = []
    attendees: list[str] = []
    duration: str = "1 hour"
    location: str = ""
    requires: list[str] = []
    auto_complete: bool = False
    override_by: list[str] = []
    on_done: str | None = None
    repeat: Repeat | None = None

    @field_validator("remind", mode="before")
    @classmethod
    def _short_reminders(cls, value: Any) -> Any:
        # `remind: ["4 hours", "1 day"]` is short for reminders to the owner.
        if isinstance(value, list):
            return [{"before": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def due_rule(self) -> DueRule | None:
        return DueRule.parse(self.due) if self.due else None


class Definition(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9-]{0,59}$")
    name: str = Field(min_length=1, max_length=160)
    description: str = ""
    subject: str = "client"
    trigger: str = "manual"
    anchors: list[str] = []
    steps: list[Step] = Field(min_length=1)

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    @property
    def anchor_names(self) -> set[str]:
        return {*self.anchors, STARTED}


# Parsing --------------------------------------------------------------------------------


def _step_key_at(raw: Any, index: int) -> str:
    try:
        return str(raw["steps"][index]["key"])
    except (KeyError, IndexError, TypeError):
        return f"#{index + 1}"


def _shape_problems(raw: Any, error: ShapeError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = list(item["loc"])
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            field = ".".join(str(p) for p in loc[2:]) or None
            problems.append(Problem(_step_key_at(raw, loc[1]), _shape_message(item), field))
        else:
            problems.append(Problem(None, _shape_message(item), ".".join(map(str, loc)) or None))
    return problems


def _shape_message(item: Any) -> str:
    if item["type"] == "extra_forbidden":
        return f"unknown field {item['loc'][-1]!r}"
    if item["type"] == "missing":
        return f"{item['loc'][-1]!r} is required"
    return str(item["msg"])


def load_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DefinitionInvalid([Problem(None, f"the YAML does not parse{where}")]) from None


def parse_definition(text: str) -> Definition:
    """The checked definition of a YAML text; DefinitionInvalid lists every problem."""
    raw = load_yaml(text)
    if not isinstance(raw, dict):
        raise DefinitionInvalid([Problem(None, "a playbook is a YAML mapping (key: value)")])
    try:
        definition = Definition.model_validate(raw)
    except ShapeError as error:
        raise DefinitionInvalid(_shape_problems(raw, error)) from None
    problems = DefinitionChecker(definition).problems()
    if problems:
        raise DefinitionInvalid(problems)
    return definition


@lru_cache(maxsize=256)
def definition_from_json(text: str) -> Definition:
    """A stored (already checked) definition; versions never change, so cache them."""
    return Definition.model_validate_json(text)


# Meaning --------------------------------------------------------------------------------


def condition_names(expression: str) -> set[str]:
    """The names an expression reads; SyntaxError if it does not parse."""
    tree = SimpleEval().parse(expression)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


_CONSTANTS = {"True", "False", "None", "true", "false", "none"}


class DefinitionChecker:
    """Checks what a definition means against the subject type and the database."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.found: list[Problem] = []
        self.keys = [s.key for s in definition.steps]

    def problems(self) -> list[Problem]:
        self._check_playbook()
        for step in self.definition.steps:
            self._check_step(step)
        if not any(p.step for p in self.found if "unknown step" in p.message):
            self._check_cycles()
        return self.found

    def _add(self, step: str | None, message: str, field: str | None = None) -> None:
        self.found.append(Problem(step, message, field))

    def _check_playbook(self) -> None:
        d = self.definition
        subject = SUBJECT_TYPES.get(d.subject)
        if subject is None:
            known = ", ".join(sorted(SUBJECT_TYPES))
            self._add(None, f"unknown subject {d.subject!r} (known: {known})", "subject")
        elif d.trigger != "manual" and d.trigger not in subject.events:
            known = ", ".join(["manual", *sorted(subject.events)])
            self._add(None, f"unknown trigger {d.trigger!r} (known: {known})", "trigger")
        for key in {k for k in self.keys if self.keys.count(k) > 1}:
            self._add(key, "two steps have this key", "key")
        for anchor in d.anchors:
            if not re.match(KEY_PATTERN, anchor):
                self._add(None, f"anchor {anchor!r} is not a lower-case name", "anchors")
            if anchor in self.keys:
                self._add(anchor, "a step and an anchor share this name", "key")
            if anchor == STARTED:
                self._add(None, "'started' is always an anchor; do not declare it", "anchors")

    def _check_step(self, step: Step) -> None:
        for need in step.needs:
            if need not in self.keys:
                self._add(step.key, f"needs unknown step {need!r}", "needs")
            elif need == step.key:
                self._add(step.key, "a step cannot need itself", "needs")
        self._check_due(step)
        self._check_owner(step)
        self._check_condition(step)
        self._check_kind(step)
        for field_name in ("skippable_by", "override_by"):
            for role in getattr(step, field_name):
                if not _role_exists(role):
                    self._add(step.key, f"unknown role {role!r}", field_name)
        self._check_subject_hooks(step)
        self._check_repeat(step)

    def _check_subject_hooks(self, step: Step) -> None:
        subject = SUBJECT_TYPES.get(self.definition.subject)
        checks = subject.checks if subject else {}
        actions = subject.actions if subject else {}
        for name in step.requires:
            if name not in checks:
                known = ", ".join(sorted(checks)) or "none"
                self._add(step.key, f"unknown check {name!r} (known: {known})", "requires")
        if step.auto_complete and not step.requires:
            self._add(step.key, "auto_complete needs checks to wait for ('requires')", "requires")
        if step.on_done is not None and step.on_done not in actions:
            known = ", ".join(sorted(actions)) or "none"
            self._add(step.key, f"unknown action {step.on_done!r} (known: {known})", "on_done")

    def _check_repeat(self, step: Step) -> None:
        if step.repeat is None:
            return
        if step.kind != StepKind.MEETING:
            self._add(step.key, "only a meeting step repeats", "repeat")
        try:
            every = parse_duration(step.repeat.every)
        except ValueError as error:
            self._add(step.key, str(error), "repeat")
        else:
            if every.total_seconds() % 86400:
                self._add(step.key, "a meeting repeats every whole number of days", "repeat")
        if step.repeat.until not in self.definition.anchor_names:
            self._add(step.key, f"unknown anchor {step.repeat.until!r}", "repeat")

    def _check_due(self, step: Step) -> None:
        for label, text in [("remind", r.before) for r in step.remind] + [
            ("escalate", e.after) for e in step.escalate
        ]:
            try:
                parse_duration(text)
            except ValueError as error:
                self._add(step.key, str(error), label)
        if step.due is None:
            if step.remind or step.escalate:
                self._add(step.key, "reminders and escalations need a due time", "due")
            return
        try:
            rule = DueRule.parse(step.due)
        except ValueError as error:
            self._add(step.key, str(error), "due")
            return
        if rule.ref == step.key:
            self._add(step.key, "a step cannot be due relative to itself", "due")
        elif rule.ref in self.keys:
            if rule.ref not in self._all_needs(step.key):
                # Its due time is worked out when it opens; the step it counts from must
                # be closed by then, or the step would never be due (nor a wait end).
                self._add(
                    step.key,
                    f"is due relative to step {rule.ref!r}, which it does not need: "
                    f"add {rule.ref!r} to 'needs'",
                    "due",
                )
        elif rule.ref not in self.definition.anchor_names:
            self._add(
                step.key,
                f"unknown anchor {rule.ref!r}: declare it under 'anchors' or name a step",
                "due",
            )

    def _all_needs(self, key: str) -> set[str]:
        """Every step that must be closed before this one opens (needs of needs too)."""
        direct = {s.key: s.needs for s in self.definition.steps}
        found: set[str] = set()
        pending = list(direct.get(key, []))
        while pending:
            need = pending.pop()
            if need not in found:
                found.add(need)
                pending.extend(direct.get(need, []))
        return found

    def _check_owner(self, step: Step) -> None:
        needs_owner = step.kind in (StepKind.TASK, StepKind.APPROVAL, StepKind.MEETING)
        if step.owner is None:
            if needs_owner:
                self._add(step.key, f"a {step.kind} step needs an owner", "owner")
            return
        problem = owner_problem(step.owner)
        if problem:
            self._add(step.key, problem, "owner")
        for escalation in step.escalate:
            problem = owner_problem(escalation.to)
            if problem:
                self._add(step.key, problem, "escalate")
        for reminder in step.remind:
            if reminder.to != "owner" and (problem := owner_problem(reminder.to)):
                self._add(step.key, problem, "remind")

    def _check_condition(self, step: Step) -> None:
        if not step.when:
            return
        try:
            names = condition_names(step.when)
        except SyntaxError:
            self._add(step.key, f"the condition {step.when!r} does not parse", "when")
            return
        except Exception as error:  # simpleeval refuses unsafe constructs at parse time
            self._add(step.key, f"the condition {step.when!r} is not allowed: {error}", "when")
            return
        subject = SUBJECT_TYPES.get(self.definition.subject)
        allowed = set(subject.fields) if subject else set()
        for name in sorted(names - allowed - _CONSTANTS):
            self._add(step.key, f"unknown field {name!r} in the condition", "when")

    def _check_join(self, step: Step) -> None:
        """A join is done the moment every step it needs is closed: it has nothing of
        its own to wait for, nobody to do it and nothing to remind of."""
        if not step.needs:
            self._add(step.key, "a join step names the steps it waits for ('needs')", "needs")
        for name in ("owner", "due", "remind", "escalate", "requires"):
            if getattr(step, name):
                self._add(step.key, f"a join step takes no {name!r}: it is done at once", name)

    def _check_kind(self, step: Step) -> None:
        if step.kind == StepKind.MESSAGE:
            if not step.template:
                self._add(step.key, "a message step names its template", "template")
            elif not _template_exists(step.template):
                self._add(step.key, f"unknown message template {step.template!r}", "template")
            if not step.to:
                self._add(step.key, "a message step names its recipients ('to')", "to")
        if step.kind == StepKind.MEETING:
            if not step.attendees:
                self._add(step.key, "a meeting step names its attendees", "attendees")
            if not step.due:
                self._add(step.key, "a meeting step needs a due time (when it is held)", "due")
            try:
                parse_duration(step.duration)
            except ValueError as error:
                self._add(step.key, str(error), "duration")
        if step.kind == StepKind.WAIT and not step.due:
            self._add(step.key, "a wait step needs a due time (when the wait ends)", "due")
        if step.kind == StepKind.JOIN:
            self._check_join(step)
        for spec in [*step.to, *step.attendees]:
            problem = recipient_problem(spec)
            if problem:
                self._add(step.key, problem, "to" if spec in step.to else "attendees")

    def _edges(self) -> dict[str, list[str]]:
        edges: dict[str, list[str]] = {}
        for step in self.definition.steps:
            refs = list(step.needs)
            rule = _safe_rule(step.due)
            if rule and rule.ref in self.keys:
                refs.append(rule.ref)
            edges[step.key] = refs
        return edges

    def _check_cycles(self) -> None:
        """Depth-first search; a step met again on the current path closes a cycle."""
        edges = self._edges()
        state: dict[str, int] = {}  # 1: on the current path, 2: finished
        path: list[str] = []

        def visit(key: str) -> bool:
            state[key] = 1
            path.append(key)
            for ref in edges.get(key, []):
                if state.get(ref) == 1:
                    cycle = [*path[path.index(ref) :], ref]
                    self._add(key, "dependency cycle: " + " -> ".join(cycle), "needs")
                    return True
                if state.get(ref) is None and visit(ref):
                    return True
            path.pop()
            state[key] = 2
            return False

        for key in self.keys:
            if state.get(key) is None and visit(key):
                return


def _safe_rule(text: str | None) -> DueRule | None:
    try:
        return DueRule.parse(text) if text else None
    except ValueError:
        return None


def owner_problem(spec: str) -> str | None:
    """What is wrong with an owner spec (role:<code>, team:<name>, user:<username>), if anything."""
    kind, _, value = spec.partition(":")
    if kind not in OWNER_KINDS or not value:
        return f"owner {spec!r} is not role:<code>, team:<name> or user:<username>"
    if kind == "role" and not _role_exists(value):
        return f"unknown role {value!r}"
    if kind == "team" and not _team_exists(value):
        return f"unknown team {value!r}"
    if kind == "user" and not _user_exists(value):
        return f"unknown user {value!r}"
    return None


def recipient_problem(spec: str) -> str | None:
    """Recipients are checked for their form here; who holds a role is known only at run time."""
    kind, _, value = spec.partition(":")
    if spec in ("contacts", "owner", "requester"):
        return None
    if kind == "role":
        return None if _role_exists(value) else f"unknown role {value!r}"
    if kind == "user":
        return None if _user_exists(value) else f"unknown user {value!r}"
    if kind == "list":
        return None if _list_exists(value) else f"unknown distribution list {value!r}"
    if kind == "contact" or "@" in spec:
        return None
    return f"unknown recipient {spec!r}"


def _role_exists(code: str) -> bool:
    from retainops.core.models import Role

    return Role.objects.filter(code=code).exists()


def _team_exists(name: str) -> bool:
    from retainops.core.models import Team

    return Team.objects.filter(name=name).exists()


def _user_exists(username: str) -> bool:
    from retainops.core.models import User

    return User.objects.filter(username=username, is_active=True).exists()


def _template_exists(code: str) -> bool:
    from retainops.messaging.models import MessageTemplate

    return MessageTemplate.objects.filter(code=code).exists()


def _list_exists(code: str) -> bool:
    from retainops.messaging.models import DistributionList

    return DistributionList.objects.filter(code=code).exists()


class ConditionError(Exception):
    """A step's condition passed the definition's checks but could not be evaluated."""


def condition_holds(expression: str, values: dict[str, Any]) -> bool:
    """Whether a step's `when:` holds for the subject's values; ConditionError if the
    expression cannot be worked out for them (e.g. `name > 5` compares text with a number).

    The definition's checks know the field names, not the values' types, so such an
    expression is only found out here."""
    names = {**values, "true": True, "false": False, "none": None}
    try:
        return bool(SimpleEval(names=names).eval(expression))
    except Exception as error:  # whatever a person's expression raises is the expression's fault
        raise ConditionError(str(error) or type(error).__name__) from error
