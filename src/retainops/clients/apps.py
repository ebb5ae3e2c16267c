from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The migration that created the name search index (matching.py).
SEARCH_INDEX_MIGRATION = "0004_stored_mrr_and_search_index"


class ClientsConfig(AppConfig):
    name = "retainops.clients"
    label = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from retainops.clients import search

        post_migrate.connect(_restore_search_index, sender=self)

        search.register()  # the header's search box finds this app's records
        from retainops.clients.models import ServiceLine, Tool
        from retainops.clients.transfer import jobs
        from retainops.core.administration import AdminSection, register_section
        from retainops.core.capabilities import Capability

        # The catalogues lead the administration home page.
        for order, key, title, model in (
            (10, "services", "Service catalogue", ServiceLine),
            (20, "tools", "Tools and boards", Tool),
        ):
            register_section(
                AdminSection(
                    key=key,
                    title=title,
                    url_name=f"clients:{key}",
                    capability=Capability.MANAGE_CATALOGUE,
                    count=model.objects.count,
                    order=order,
                )
            )
        jobs.register()  # client and contract files are imported by the worker
        from retainops.core.saved_filters import FilterPage, register_filter_page

        register_filter_page(
            FilterPage("clients", "Clients", "clients:list", params=_client_filter_params)
        )


def _client_filter_params() -> tuple[str, ...]:
    from retainops.clients.list_columns import list_columns

    fixed = ("q", "unit", "status", "owner", "service", "sort")
    return fixed + tuple(c.name for c in list_columns() if c.filter_choices)


def _restore_search_index(using: str, **_: Any) -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table: put the name
    index's back (and rebuild it) after each migrate, once its migration is applied."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from retainops.clients.matching import ensure_search_index

    connection = connections[using]
    recorder = MigrationRecorder(connection)
    if ("clients", SEARCH_INDEX_MIGRATION) in recorder.applied_migrations():
        ensure_search_index(connection)
