"""What a playbook can run on: its subject types, their events, anchors and fields.

A subject type says how to load a subject by id, which client it belongs to
(runs show on that client's timeline and are visible to that client's
business unit), which dates it can supply as anchors, which fields a step's
condition may read, and which events start playbooks on it. The onboarding
and change-request features register their own subject types here.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import wraps
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from retainops.clients.choices import ContractStatus
from retainops.clients.models import Client, ContractLine


@dataclass(frozen=True)
class Check:
    """A condition a step may require before it completes (`requires:`), e.g. that every
    detail the purchase order needs is in. `missing` lists what is not there yet."""

    label: str
    missing: Callable[[Any], list[str]]


@dataclass(frozen=True)
class SubjectType:
    code: str
    label: str
    load: Callable[[int], Any]
    client_of: Callable[[Any], Client]
    values: Callable[[Any], dict[str, Any]]
    anchor_values: Callable[[Any], dict[str, datetime]]
    fields: dict[str, str] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    requester: Callable[[Any], Any] = lambda _subject: None
    # Others who asked besides the requester (e.g. who raised a change request that
    # someone else submitted): like the requester, they never approve it.
    co_askers: Callable[[Any], list[Any]] = lambda _subject: []
    checks: dict[str, Check] = field(default_factory=dict)
    # What a step may do to its subject when it is done (`on_done:`):
    # action(subject, run=..., by=...), each its own operation (one transaction, its own
    # checks), given the subject as this transaction loaded it.
    actions: dict[str, Callable[..., None]] = field(default_factory=dict)
    # Called when one of its runs ends: on_run_end(subject, run=..., by=...), likewise.
    on_run_end: Callable[..., None] | None = None
    # Message template variables the subject adds (e.g. `program` with its missing details).
    variables: Callable[[Any], dict[str, Any]] = lambda _subject: {}
    # Several subjects by id in one query, as `load` loads each (a sweep's batch reads the
    # subjects of its reminders together); without it they are loaded one by one.
    load_many: Callable[[list[int]], dict[int, Any]] | None = None


SUBJECT_TYPES: dict[str, SubjectType] = {}


def register_subject(subject_type: SubjectType) -> None:
    SUBJECT_TYPES[subject_type.code] = subject_type


def subject_type(code: str) -> SubjectType:
    return SUBJECT_TYPES[code]


# One load of a subject per engine operation -------------------------------------------
#
# A decision reads its subject many times over: the values for the next steps'
# conditions, who asked (they never approve), the checks of a step, the action a step
# does, the variables of each message. Inside `subject_scope()` (each engine operation
# opens one, for its one transaction) the first read loads the subject and every later
# read gets that same instance, so what an action changes on it is what the next
# message says. Outside a scope every read loads afresh.

_LOADED: ContextVar[dict[tuple[str, int], Any] | None] = ContextVar("subjects", default=None)


@contextmanager
def subject_scope(code: str | None = None, subject: Any = None) -> Iterator[None]:
    """Load each subject once until the scope ends (nested scopes share the outer one).
    `subject` seeds it with an instance the caller already holds, locked and current."""
    loaded = _LOADED.get()
    token = _LOADED.set({}) if loaded is None else None
    if code is not None and subject is not None:
        remember_subject(code, subject)
    try:
        yield
    finally:
        if token is not None:
            _LOADED.reset(token)


def with_subject_scope[**P, R](operation: Callable[P, R]) -> Callable[P, R]:
    """Run `operation` inside a subject scope (one load of each subject)."""

    @wraps(operation)
    def scoped(*args: P.args, **kwargs: P.kwargs) -> R:
        with subject_scope():
            return operation(*args, **kwargs)

    return scoped


def remember_subject(code: str, subject: Any) -> None:
    """Make `subject` the instance the current scope hands out (no-op outside one)."""
    loaded = _LOADED.get()
    if loaded is not None:
        loaded[(code, subject.pk)] = subject


def load_subject(code: str, pk: int) -> Any:
    loaded = _LOADED.get()
    if loaded is None:
        return subject_type(code).load(pk)
    if (code, pk) not in loaded:
        loaded[(code, pk)] = subject_type(code).load(pk)
    return loaded[(code, pk)]


def _start_of_day(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _client_values(client: Client) -> dict[str, Any]:
    active_lines = ContractLine.objects.filter(
        contract__client=client, contract__status=ContractStatus.ACTIVE
    )
    mrr = active_lines.aggregate(total=Sum("monthly_budget"))["total"] or 0
    return {
        "name": client.name,
        "status": client.status,
        "industry": client.industry,
        "business_unit": client.business_unit.code,
        "mrr": float(mrr),
        "services": sorted(set(active_lines.values_list("service__code", flat=True))),
        "contacts": client.contacts.count(),
        "has_website": bool(client.website),
    }


def _client_anchors(client: Client) -> dict[str, datetime]:
    return {"sold": _start_of_day(client.sold_on)} if client.sold_on else {}


register_subject(
    SubjectType(
        code="client",
        label="Client",
        load=lambda pk: Client.objects.select_related("business_unit").get(pk=pk),
        load_many=lambda pks: Client.objects.select_related("business_unit").in_bulk(pks),
        client_of=lambda client: client,
        values=_client_values,
        anchor_values=_client_anchors,
        fields={
            "name": "the client's name",
            "status": "onboarding, active, paused, cancelling or cancelled",
            "industry": "the client's industry",
            "business_unit": "the code of the client's business unit",
            "mrr": "monthly recurring revenue of the active contracts",
            "services": "codes of the services on active contracts, e.g. 'seo' in services",
            "contacts": "how many contacts the client has",
            "has_website": "true when the client's website is recorded",
        },
        anchors={"sold": "when the sale was recorded (the start of the sale day if given later)"},
        events={"client.sold": "a client is created by hand or through the API, or won back"},
    )
)

# Variables message templates may use about the task a reminder or escalation concerns.
TASK_VARIABLES: dict[str, Any] = {
    "task": {"title": None, "due_at": None, "url": None, "owner": None, "step": None},
    "run": {"playbook": None, "url": None},
}
