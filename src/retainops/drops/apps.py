from django.apps import AppConfig


class DropsConfig(AppConfig):
    name = "retainops.drops"
    label = "drops"
    verbose_name = "Marketing drops and staffing"

    def ready(self) -> None:
        from retainops.core.due_work import register_source
        from retainops.core.navigation import register_badge
        from retainops.drops import subject, sweep
        from retainops.drops.badges import drops_with_open_gates

        subject.register()
        # Warnings as the drop nears with gates open.
        register_source(sweep.SOURCE)
        register_badge("drops", drops_with_open_gates)
        _contribute()


def _contribute() -> None:
    """The client page lists the client's upcoming drops and their readiness; the
    feedback meeting's agenda and the survey of the program after a drop show how the
    recent ones answered."""
    from retainops.clients.panels import register_panel
    from retainops.drops.agenda import drops_section
    from retainops.drops.client_panels import PANELS
    from retainops.drops.survey_figures import describe_drops
    from retainops.voice.agenda import register_agenda_section
    from retainops.voice.survey_figures import register_survey_figures

    # The cross-team feedback meeting reads how the last drops answered.
    register_agenda_section("drops", "Marketing drops: forecast against actual", 15, drops_section)
    # A survey sent for a drop (the drop follow-up playbook) reads beside its figures.
    register_survey_figures("drop", describe_drops)

    for panel in PANELS:
        register_panel(panel)
