"""Finding clients by what a person types: a name fragment or a CRM id.

The rule is the one the list always had: the name contains the text (any case), or
the CRM id equals it (any case). What this module adds is an index for it, so a search
does not read every client row:

* PostgreSQL: a trigram index (pg_trgm, GIN) on ``UPPER(name)``, the very expression
  Django's ``icontains`` compares (``UPPER("name"::text) LIKE UPPER(%s)``), so the
  planner uses it for the unchanged lookup.
* SQLite: an FTS5 table with the trigram tokenizer over the names, kept by triggers.
  It finds candidates for a text of three characters or more (a trigram needs three);
  the ``icontains`` test then runs on those candidates only, so the answer is exactly
  today's (FTS5 folds case more widely than SQLite's ASCII-only LIKE: a superset, which
  the re-check trims). A shorter text is tested on every row, as before.
* The CRM id: ``UPPER(external_id) = UPPER(text)`` on an expression index. It is what
  ``iexact`` means on both databases (PostgreSQL's ``iexact`` is that very SQL; SQLite's
  is a LIKE without wildcards, ASCII case-insensitive like SQLite's ``upper()``), in a
  form the index serves.

The SQLite triggers live on the client table; SQLite drops them whenever a migration
rebuilds that table, so `ensure_search_index` (run after every migrate) puts back what
is missing and rebuilds the index then.
"""

from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.db.models.lookups import Exact

FTS_TABLE = "clients_client_name_fts"
TRIGRAM = 3  # characters in a trigram: shorter texts cannot use the index

_SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "name, content='clients_client', content_rowid='id', tokenize='trigram')"
)
_SQLITE_TRIGGERS = {
    "clients_client_fts_insert": (
        "AFTER INSERT ON clients_client BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, name) VALUES (new.id, new.name); END"
    ),
    "clients_client_fts_delete": (
        "AFTER DELETE ON clients_client BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name) VALUES ('delete', old.id, old.name);"
        " END"
    ),
    "clients_client_fts_update": (
        "AFTER UPDATE OF name ON clients_client BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name) VALUES ('delete', old.id, old.name);"
        f" INSERT INTO {FTS_TABLE}(rowid, name) VALUES (new.id, new.name); END"
    ),
}
_POSTGRES_INDEX = "client_name_upper_trgm"


def ensure_search_index(connection: Any) -> None:
    """Create the name index of this database if any part of it is missing."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            _ensure_sqlite(cursor)
        elif connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {_POSTGRES_INDEX} ON clients_client "
                "USING gin (UPPER(name) gin_trgm_ops)"
            )


def _ensure_sqlite(cursor: Any) -> None:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name IN "
        f"({', '.join(['%s'] * (len(_SQLITE_TRIGGERS) + 1))})",
        [FTS_TABLE, *_SQLITE_TRIGGERS],
    )
    present = {row[0] for row in cursor.fetchall()}
    if present >= {FTS_TABLE, *_SQLITE_TRIGGERS}:
        return
    cursor.execute(_SQLITE_TABLE)
    for name, body in _SQLITE_TRIGGERS.items():
        cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    # Rows written while a trigger was missing are not in the index: rebuild it whole.
    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def drop_search_index(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {_POSTGRES_INDEX}")


def _fts_phrase(text: str) -> str:
    """The text as one FTS5 phrase (quotes doubled): its trigrams, in a row."""
    return '"' + text.replace('"', '""') + '"'


def name_contains(text: str, *, using: str) -> Q:
    """The clients whose name contains `text`, any case (``name__icontains``), indexed."""
    by_name = Q(name__icontains=text)
    if connections[using].vendor == "sqlite" and len(text) >= TRIGRAM:
        candidates = RawSQL(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (_fts_phrase(text),)
        )
        by_name &= Q(pk__in=candidates)
    return by_name


def name_or_crm_id(clients: QuerySet[Any], text: str) -> QuerySet[Any]:
    """The clients whose name contains `text` or whose CRM id is `text`, any case."""
    by_crm_id = Q(Exact(Upper("external_id"), Upper(Value(text))))
    return clients.filter(name_contains(text, using=clients.db) | by_crm_id)
