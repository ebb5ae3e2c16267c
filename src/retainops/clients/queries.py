"""Reads of the client record, always scoped to what the person may see."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, QuerySet

from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.list_columns import column_sorts, list_columns
from retainops.clients.matching import name_or_crm_id
from retainops.clients.models import (
    Client,
    ClientTeamMember,
    ClientTool,
    Contact,
    Contract,
    ContractLine,
)
from retainops.core.access import sees_all_units

SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "status": ("status", "name", "id"),
    "-status": ("-status", "name", "id"),
    "mrr": ("mrr", "name", "id"),
    "-mrr": ("-mrr", "name", "id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}


def visible_clients(user: Any) -> QuerySet[Client]:
    """Clients of the user's business units; all for those who see every unit."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Client.objects.none()
    if sees_all_units(user):
        return Client.objects.all()
    return Client.objects.filter(business_unit_id__in=user.unit_ids())


def with_mrr(clients: QuerySet[Client]) -> QuerySet[Client]:
    """The clients with their monthly recurring revenue as `mrr`: the budgets of the lines
    on active contracts. It is stored on the client (`Client.mrr`, kept by
    services.refresh_mrr), so this reads a column and adds nothing to the query; it
    stays so that callers say what they rely on."""
    return clients


@dataclass(frozen=True)
class ClientFilters:
    """What a person asked of the client list; every field optional."""

    search: str = ""
    business_unit: int | None = None
    status: str = ""
    owner: int | None = None
    service: int | None = None
    sort: str = "name"
    # Filters of the columns other apps add (list_columns.py): (column name, value).
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.search
            or self.business_unit
            or self.status
            or self.owner
            or self.service
            or self.columns
        )


def filter_clients(user: Any, filters: ClientFilters) -> "ClientRows":
    """The clients the person sees that the filters keep, in the chosen order, ready to
    be cut into pages (by the pages' paginator and the API's alike)."""
    sorts = {**SORTS, **column_sorts()}
    ordered = _matching(user, filters).order_by(*sorts.get(filters.sort, SORTS["name"]))
    return ClientRows(ordered)


class ClientRows:
    """A sorted client list that reads a page as a "deferred join".

    A slice first selects only the ids of its rows: the ORDER BY and OFFSET walk an index
    (models.Client.Meta.indexes) without touching the rest of the row or any annotation
    the sort does not need. Then the rows themselves, with their business unit and the
    other apps' column annotations, are loaded by those ids. So a far page costs an index
    walk, not a sort of every row with its annotations, and page numbers (with their 404
    past the end) work as before. The count counts ids only.

    It offers what Django's Paginator and ninja's pagination use: `count()`, `all()`,
    `len()` and slicing.
    """

    def __init__(self, ordered: QuerySet[Client]) -> None:
        self._ordered = ordered

    def count(self) -> int:
        return self._ordered.order_by().values("pk").count()

    def all(self) -> "ClientRows":
        return self

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Client]:
        if not isinstance(index, slice):
            raise TypeError("A client list is read a page (a slice) at a time.")
        ids = list(self._ordered.values_list("pk", flat=True)[index])
        if not ids:
            return []
        rows = Client.objects.filter(pk__in=ids).select_related("business_unit")
        for column in list_columns():
            rows = column.annotate(rows)
        by_id = {row.pk: row for row in rows}
        return [by_id[pk] for pk in ids]


def _matching(user: Any, filters: ClientFilters) -> QuerySet[Client]:
    """The clients the person sees that the filters keep, unsorted and unannotated."""
    clients = visible_clients(user)
    if filters.search:
        clients = name_or_crm_id(clients, filters.search.strip())
    if filters.business_unit:
        clients = clients.filter(business_unit_id=filters.business_unit)
    if filters.status:
        clients = clients.filter(status=filters.status)
    # IN over the (few) matching ids lets the database start from the team or
    # line index instead of testing every client row with a correlated EXISTS.
    if filters.owner:
        owned = ClientTeamMember.objects.filter(user_id=filters.owner).values("client_id")
        clients = clients.filter(pk__in=owned)
    if filters.service:
        sells = ContractLine.objects.filter(
            contract__status=ContractStatus.ACTIVE, service_id=filters.service
        ).values("contract__client_id")
        clients = clients.filter(pk__in=sells)
    wanted = dict(filters.columns)
    for column in list_columns():
        clients = column.annotate(clients)
        if column.apply_filter is not None and wanted.get(column.name):
            clients = column.apply_filter(clients, wanted[column.name])
    return clients


def status_counts(user: Any, filters: ClientFilters | None = None) -> dict[str, int]:
    """Clients per status among those the person sees that the other filters keep
    (the status filter itself is left out: each count says what choosing it gives)."""
    counts = dict.fromkeys(ClientStatus.values, 0)
    unfiltered = replace(filters or ClientFilters(), status="")
    rows = _matching(user, unfiltered).order_by().values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


_KINDS = {"+": "created", "~": "changed", "-": "removed"}

# A status move is recorded as "status: <transition>" (the transition's name is data);
# the pages say what happened.
STATUS_MOVE_WORDS = {
    "go_live": "Go-live",
    "pause": "Paused",
    "resume": "Resumed",
    "give_notice": "Cancellation notice given",
    "withdraw_notice": "Notice withdrawn (saved)",
    "cancel": "Cancelled",
    "win_back": "Won back",
    "activate": "Activated",
    "end": "Ended",
}


def reason_words(reason: str) -> str:
    """A history row's reason as people read it: 'status: go_live (...)' says 'Go-live (...)'."""
    if not reason.startswith("status: "):
        return reason
    move, space, rest = reason.removeprefix("status: ").partition(" ")
    words = STATUS_MOVE_WORDS.get(move) or move.replace("_", " ").capitalize()
    return f"{words}{space}{rest}"


def _value_words(record: Any, name: str, value: Any) -> Any:
    """A changed value as shown: a choice's label rather than its stored code."""
    try:
        choices = dict(record._meta.get_field(name).flatchoices)
    except LookupError:
        return value
    return choices.get(value, value)


def _history_entries(
    label: str, records: list[Any], describe: Callable[[Any], str]
) -> list[dict[str, Any]]:
    """Entries for one model's history rows, each diffed against the row before it
    for the same object (in memory, so a long history costs one query)."""
    entries = []
    previous_by_object: dict[int, Any] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        previous = previous_by_object.get(record.id)
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            changes = [
                {
                    "field": c.field,
                    "old": c.old,
                    "new": c.new,
                    "old_words": _value_words(record, c.field, c.old),
                    "new_words": _value_words(record, c.field, c.new),
                }
                for c in delta.changes
            ]
        previous_by_object[record.id] = record
        entries.append(
            {
                "what": label,
                "object": describe(record),
                "kind": _KINDS[record.history_type],
                "when": record.history_date,
                "who": record.history_user,
                "reason": record.history_change_reason or "",
                "reason_words": reason_words(record.history_change_reason or ""),
                "changes": changes,
            }
        )
    return entries


# The client's whole record history, kept while one page is drawn (see `history_read_once`).
_read_history: ContextVar[dict[int, list[dict[str, Any]]] | None] = ContextVar(
    "read_history", default=None
)


@contextmanager
def history_read_once() -> Iterator[None]:
    """Within the block, a client's record history is read once: a page that shows it in
    several places (its history section and its timeline) pays for it once. The rows are
    kept for the block only, so nothing outlives the page being drawn."""
    token = _read_history.set({})
    try:
        yield
    finally:
        _read_history.reset(token)


def client_history(client: Client, limit: int = 200) -> list[dict[str, Any]]:
    """Every recorded change of the client and its parts, newest first: who, when, what."""
    read = _read_history.get()
    if read is None:
        return _whole_history(client)[:limit]
    if client.pk not in read:
        read[client.pk] = _whole_history(client)
    return read[client.pk][:limit]


def _whole_history(client: Client) -> list[dict[str, Any]]:
    # Contracts since deleted still have history rows naming the client: their ids come
    # from the contracts' own history rows, read first.
    contract_rows = list(
        Contract.history.filter(client_id=client.pk).select_related("history_user")
    )
    contract_ids = {row.id for row in contract_rows}
    sources: list[tuple[str, QuerySet[Any] | list[Any], tuple[str, ...], Callable[[Any], str]]] = [
        ("Client", Client.history.filter(id=client.pk), (), lambda r: r.name),
        ("Contact", Contact.history.filter(client_id=client.pk), (), lambda r: r.name),
        (
            "Team",
            ClientTeamMember.history.filter(client_id=client.pk),
            ("role", "user"),
            lambda r: f"{r.role}: {r.user}",
        ),
        ("Tool", ClientTool.history.filter(client_id=client.pk), ("tool",), lambda r: str(r.tool)),
        ("Contract", contract_rows, (), lambda r: r.reference),
        (
            "Contract line",
            ContractLine.history.filter(contract_id__in=contract_ids),
            ("service", "contract"),
            lambda r: f"{r.contract.reference} / {r.service}",
        ),
    ]
    entries: list[dict[str, Any]] = []
    for label, records, related, describe in sources:
        rows = (
            records
            if isinstance(records, list)
            else list(records.select_related("history_user", *related))
        )
        entries.extend(_history_entries(label, rows, describe))
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries
