from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "retainops.complaints"
    label = "complaints"
    verbose_name = "Complaints"

    def ready(self) -> None:
        _contribute()


def _contribute() -> None:
    """The worker fires the clock timers and refits the themes, the navigation counts
    my open complaints, the client page lists the client's complaints."""
    from retainops.clients.panels import register_panel
    from retainops.complaints import client_panels, notices, themes
    from retainops.complaints.queries import open_complaints_of
    from retainops.core.due_work import register_source
    from retainops.core.navigation import register_badge
    from retainops.onboarding.portal import PortalAction, register_portal_action

    register_source(notices.SOURCE)
    register_source(themes.SOURCE)
    register_badge("complaints", open_complaints_of)
    for panel in client_panels.PANELS:
        register_panel(panel)
    register_portal_action(
        PortalAction(
            "Tell us about a problem", "complaints:portal_raise", "we answer it as a complaint"
        )
    )
