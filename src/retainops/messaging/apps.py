from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "retainops.messaging"
    label = "messaging"
    verbose_name = "Messages"

    def ready(self) -> None:
        from retainops.clients.panels import register_panel
        from retainops.core.administration import AdminSection, register_section
        from retainops.core.capabilities import Capability
        from retainops.core.due_work import register_source
        from retainops.messaging import client_panels, due
        from retainops.messaging.models import DistributionList, MessageTemplate, WebhookEndpoint

        # The worker delivers the outbox; the client page lists the client's messages.
        register_source(due.SOURCE)
        for panel in client_panels.PANELS:
            register_panel(panel)
        for order, key, title, model in (
            (70, "templates", "Message templates", MessageTemplate),
            (80, "lists", "Distribution lists", DistributionList),
            (90, "webhooks", "Chat webhooks", WebhookEndpoint),
        ):
            register_section(
                AdminSection(
                    key=key,
                    title=title,
                    url_name=f"messaging:{key}",
                    capability=Capability.MANAGE_MESSAGES,
                    count=model.objects.count,
                    order=order,
                )
            )
