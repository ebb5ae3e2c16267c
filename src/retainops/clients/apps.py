from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "retainops.clients"
    label = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from retainops.clients import search

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
