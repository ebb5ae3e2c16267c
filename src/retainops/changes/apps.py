from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "retainops.changes"
    label = "changes"
    verbose_name = "Change requests"

    def ready(self) -> None:
        from retainops.changes import search

        search.register()  # the header's search box finds this app's records
        # Change requests become something playbooks run on; templates may speak of them.
        from retainops.changes.subject import register
        from retainops.changes.variables import CHANGE_VARIABLES
        from retainops.messaging.templating import register_variables

        register()
        register_variables("request", CHANGE_VARIABLES)
        _contribute()
        from retainops.core.saved_filters import FilterPage, register_filter_page

        register_filter_page(
            FilterPage(
                "changes",
                "Change requests",
                "changes:list",
                params=("q", "kind", "status", "unit", "effective_from", "effective_to"),
            )
        )


def _contribute() -> None:
    """The client page lists the client's change requests."""
    from retainops.changes.client_panels import PANELS
    from retainops.clients.panels import register_panel

    for panel in PANELS:
        register_panel(panel)
