"""What firing a batch of timers reads and writes, in sets rather than timer by timer.

A pass of the sweep (timers.py) fires up to a batch of due timers. Reminders and
escalations are most of them, and each needs the same kinds of rows: its task's client
with the client's team and contacts (the message's variables), the template, the people
it tells. A `TimerBatch` reads those for every timer of the batch at once, on first
need, and keeps what the timers write (messages, timeline entries, the tasks' escalation
fields, missed reminders) until `flush`, which writes each kind with one statement.

The ends of waits move runs on through the engine, which reads and writes as it goes;
the sweep flushes what is pending before each one and `forget`s what was read after it,
so a later timer of the batch reads what the engine changed, as when each timer was
fired alone.
"""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, ForeignKey, Value, When

from retainops.clients.models import ClientTeamMember
from retainops.core.models import Team, User
from retainops.messaging.models import Message, MessageTemplate, WebhookEndpoint
from retainops.messaging.services import (
    first_active_webhook,
    no_template,
    outgoing_from_template,
    prepare_message,
    queue_prepared,
)
from retainops.messaging.templating import clients_variables
from retainops.playbooks.choices import TaskState, TimerKind
from retainops.playbooks.definition import Definition, Step
from retainops.playbooks.models import PlaybookVersion, Run, Task, TimelineEvent, Timer
from retainops.playbooks.owners import queue_members
from retainops.playbooks.subjects import subject_type

_CURRENT: ContextVar["TimerBatch | None"] = ContextVar("timer_batch", default=None)

# The templates of the messages reminders and escalations send.
REMINDER_TEMPLATE = "task-reminder"
ESCALATION_TEMPLATE = "task-escalation"

# The message of an outcome is written at the flush: its id goes where the token is.
TOKEN = "\x1fmessage-{}\x1f"


@dataclass
class _Read:
    """What the batch's reminders and escalations read, by key; loaded together."""

    client_vars: dict[int, dict[str, Any]]
    members: dict[tuple[int, str], ClientTeamMember]
    templates: dict[str, MessageTemplate]
    subjects: dict[tuple[str, int], Any]


class TimerBatch:
    def __init__(self, timers: list[Timer]) -> None:
        self.timers = timers
        self._definitions: dict[int, Definition] = {}
        self._read: _Read | None = None
        self._teams: dict[str, Team | None] = {}
        self._users: dict[str, User | None] = {}
        self._queues: dict[tuple[Any, ...], list[User]] = {}
        self._webhook: list[WebhookEndpoint | None] = []
        # What the timers write, in order, until the flush: (kind, values).
        self._pending: list[tuple[str, Any]] = []
        self._written: dict[int, int] = {}  # a pending message's number -> its row's id
        self._numbered = 0

    # Reading ---------------------------------------------------------------------------

    def step(self, task: Task) -> Step:
        """task.step, the version's definition parsed once for the batch."""
        version: PlaybookVersion = task.run.version
        if version.pk not in self._definitions:
            self._definitions[version.pk] = version.definition
        return self._definitions[version.pk].step(task.step_key)

    def read(self) -> _Read:
        if self._read is None:
            self._read = self._load()
        return self._read

    def _load(self) -> _Read:
        tasks = [t.task for t in self.timers if t.kind in (TimerKind.REMIND, TimerKind.ESCALATE)]
        tasks = [task for task in tasks if task.state == TaskState.OPEN]
        client_ids = sorted({task.client_id for task in tasks})
        members = list(
            ClientTeamMember.objects.filter(client_id__in=client_ids).select_related("role", "user")
        )
        codes = {REMINDER_TEMPLATE, ESCALATION_TEMPLATE}
        return _Read(
            client_vars=clients_variables(client_ids, members) if client_ids else {},
            members={(m.client_id, m.role.code): m for m in members},
            templates={t.code: t for t in MessageTemplate.objects.filter(code__in=codes)},
            subjects=self._subjects([task.run for task in tasks]),
        )

    @staticmethod
    def _subjects(runs: list[Run]) -> dict[tuple[str, int], Any]:
        ids: dict[str, set[int]] = defaultdict(set)
        for run in runs:
            ids[run.subject_type].add(run.subject_id)
        subjects: dict[tuple[str, int], Any] = {}
        for code, pks in ids.items():
            load_many = subject_type(code).load_many
            if load_many is not None:
                subjects.update({(code, pk): s for pk, s in load_many(sorted(pks)).items()})
        return subjects

    def subject_of(self, run: Run) -> Any:
        """The run's subject as the batch loaded it (None: load it as usual)."""
        return self.read().subjects.get((run.subject_type, run.subject_id))

    def template(self, code: str) -> MessageTemplate:
        template = self.read().templates.get(code)
        if template is None:
            template = MessageTemplate.objects.filter(code=code).first()
        if template is None:
            raise no_template(code)
        return template

    def webhook(self) -> WebhookEndpoint | None:
        if not self._webhook:
            self._webhook.append(first_active_webhook())
        return self._webhook[0]

    def team_member(self, client_id: int, role: str) -> ClientTeamMember | None:
        return self.read().members.get((client_id, role))

    def team(self, name: str) -> Team | None:
        if name not in self._teams:
            self._teams[name] = Team.objects.filter(name=name).first()
        return self._teams[name]

    def active_user(self, username: str) -> User | None:
        if username not in self._users:
            self._users[username] = User.objects.filter(username=username, is_active=True).first()
        return self._users[username]

    def known_users(self, people: list[User]) -> dict[str, User]:
        return {p.username: p for p in people}

    def owners_of(self, task: Task) -> list[User]:
        """owners.owners_of, the queues read once per batch."""
        if task.assignee_id and task.assignee:
            return [task.assignee]
        return self.queue_members(task.queue_team_id, task.queue_role, task.business_unit_id)

    def people_for(self, spec: str, task: Task) -> list[User]:
        """owners.people_for, from the client teams read for the batch."""
        kind, _, value = spec.partition(":")
        team_id, role = None, ""
        if kind == "role":
            member = self.team_member(task.client_id, value)
            if member is not None and member.user.is_active:
                return [member.user]
            role = value
        elif kind == "team":
            team = self.team(value)
            team_id = team.pk if team is not None else None
        elif kind == "user":
            user = self.active_user(value)
            if user is not None:
                return [user]
        return self.queue_members(team_id, role, task.business_unit_id)

    def queue_members(self, team_id: int | None, role: str, unit_id: int | None) -> list[User]:
        """owners.queue_members of a queue (a team, or a role in a unit), once per batch."""
        probe = Task(queue_team_id=team_id, queue_role=role, business_unit_id=unit_id)  # type: ignore[misc]
        key = (team_id, "", None) if team_id else (None, role, unit_id)
        if key not in self._queues:
            self._queues[key] = queue_members(probe)
        return self._queues[key]

    def client_vars(self, client_id: int) -> dict[str, Any] | None:
        return self.read().client_vars.get(client_id)

    def forget(self, remaining: list[Timer]) -> None:
        """Drop what was read: the engine has moved a run on and may have changed it.
        What is read next is for the `remaining` timers only."""
        self.timers = remaining
        self._read = None
        self._teams.clear()
        self._users.clear()
        self._queues.clear()
        self._webhook.clear()

    # Writing ---------------------------------------------------------------------------

    def queue_from_template(
        self,
        *,
        template_code: str,
        to: list[str],
        people: list[User],
        client: Any,
        cause: str,
        extra: dict[str, Any],
        run: Run,
    ) -> tuple[str, int]:
        """What queue_from_template does, the message kept for the flush: its token (the
        message's id in the outcome once written) and how many it goes to."""
        outgoing = outgoing_from_template(
            self.template(template_code),
            to=to,
            client=client,
            extra=extra,
            client_vars=self.client_vars(client.pk),
            webhook=self.webhook,
        )
        prepared = prepare_message(
            outgoing=outgoing,
            client=client,
            cause=cause,
            run=run,
            known_users=self.known_users(people),
        )
        self._numbered += 1
        self._pending.append(("message", (self._numbered, prepared)))
        return TOKEN.format(self._numbered), len(prepared.recipients)

    def record(self, event: TimelineEvent) -> None:
        self._pending.append(("event", event))

    def escalated(self, task: Task, at: datetime) -> None:
        self._pending.append(("escalated", (task.pk, at)))

    def reassigned(self, task: Task, to: User) -> None:
        self._pending.append(("reassigned", (task.pk, to.pk)))

    def missed(self, timer: Timer, at: datetime) -> None:
        self._pending.append(("missed", (timer.pk, at)))

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """One timer's writes: kept if it fires, dropped if it raises."""
        mark = (len(self._pending), self._numbered)
        try:
            yield
        except BaseException:
            del self._pending[mark[0] :]
            raise

    def flush(self) -> None:
        """Write what the timers left pending, one statement per kind."""
        pending, self._pending = self._pending, []
        by_kind: dict[str, list[Any]] = defaultdict(list)
        for kind, values in pending:
            by_kind[kind].append(values)
        messages = by_kind["message"]
        written: list[Message] = queue_prepared([p for _n, p in messages])
        self._written.update({n: m.pk for (n, _p), m in zip(messages, written, strict=True)})
        TimelineEvent.objects.bulk_create(by_kind["event"])
        _update_each(Task, "escalated_at", dict(by_kind["escalated"]))
        reassigned = dict(by_kind["reassigned"])
        if reassigned:
            _update_each(Task, "assignee", reassigned, queue_team=None, queue_role="")
        _update_each(Timer, "missed_at", dict(by_kind["missed"]))

    def outcome(self, text: str) -> str:
        """The outcome with the ids of the messages written in place of their tokens."""
        for number, pk in self._written.items():
            text = text.replace(TOKEN.format(number), str(pk))
        return text


def _update_each(model: Any, field: str, values: dict[int, Any], **same: Any) -> None:
    """Set `field` of each row (by pk) to its own value, in one UPDATE."""
    if not values:
        return
    target = model._meta.get_field(field)
    output = target.target_field if isinstance(target, ForeignKey) else target
    column = target.attname if isinstance(target, ForeignKey) else field
    each = Case(*[When(pk=pk, then=Value(v)) for pk, v in values.items()], output_field=output)
    model.objects.filter(pk__in=list(values)).update(**{column: each}, **same)


@contextmanager
def batch_of(timers: list[Timer]) -> Iterator[TimerBatch]:
    """Make a batch the one the firing functions use until the block ends."""
    batch = TimerBatch(timers)
    token = _CURRENT.set(batch)
    try:
        yield batch
    finally:
        _CURRENT.reset(token)


def current_batch() -> TimerBatch:
    """The batch being fired; a timer fired outside one is a batch of its own."""
    batch = _CURRENT.get()
    if batch is None:
        raise LookupError("timers are fired inside batch_of()")
    return batch
