from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "retainops.onboarding"
    label = "onboarding"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        # Programs become something playbooks run on, and templates may speak of them.
        from retainops.messaging.templating import register_variables
        from retainops.onboarding.subject import register
        from retainops.onboarding.variables import PROGRAM_VARIABLES

        register()
        register_variables("program", PROGRAM_VARIABLES)
