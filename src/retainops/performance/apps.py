from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "retainops.performance"
    label = "performance"
    verbose_name = "Performance"

    def ready(self) -> None:
        _contribute()


def _contribute() -> None:
    """The program page shows KPIs, targets and pacing; the client page the targets
    promised beyond the comparable programs (for the hand-off); the portal offers the
    report; the worker checks pacing, sends the monthly reports and imports platform
    exports; administrators find the KPI catalogue and the performance data import."""
    from retainops.clients.panels import register_panel
    from retainops.core.administration import FollowUp, register_follow_up
    from retainops.core.due_work import register_source
    from retainops.core.imports import register_import
    from retainops.onboarding.portal import PortalAction, register_portal_action
    from retainops.onboarding.program_panels import register_program_panel
    from retainops.performance import panels, services, sweeps
    from retainops.performance.agenda import performance_section
    from retainops.voice.agenda import register_agenda_section

    # Replaces voice's placeholder: performance is installed after voice.
    register_agenda_section("performance", "Performance", 10, performance_section)
    register_program_panel(panels.PROGRAM_PANEL)
    register_panel(panels.CLIENT_PANEL)
    register_source(sweeps.SOURCE)
    register_import(services.METRICS_IMPORT)  # platform exports are imported by the worker
    register_portal_action(
        PortalAction("Your performance report", "performance:portal_report", "KPIs and pacing")
    )
    register_follow_up(
        "services",
        FollowUp(
            title="KPI catalogue",
            url_name="performance:kpis",
            note="KPIs, their formulas and the defaults of each service",
        ),
    )
