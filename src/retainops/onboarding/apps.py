from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "retainops.onboarding"
    label = "onboarding"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        from retainops.onboarding import search

        search.register()  # the header's search box finds this app's records
        # Programs become something playbooks run on, and templates may speak of them.
        from retainops.messaging.templating import register_variables
        from retainops.onboarding.subject import register
        from retainops.onboarding.variables import PROGRAM_VARIABLES

        register()
        register_variables("program", PROGRAM_VARIABLES)
        _contribute()


def _contribute() -> None:
    """The client page lists the client's programs; whoever manages the catalogue
    also configures what each service's purchase order needs."""
    from retainops.clients.panels import register_panel
    from retainops.core.administration import FollowUp, register_follow_up
    from retainops.onboarding.client_panels import PANELS

    for panel in PANELS:
        register_panel(panel)
    register_follow_up(
        "services",
        FollowUp(
            title="Purchase-order requirements",
            url_name="onboarding:requirements",
            note="What each service needs before the work starts",
        ),
    )
