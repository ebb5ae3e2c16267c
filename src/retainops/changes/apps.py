from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "retainops.changes"
    label = "changes"
    verbose_name = "Change requests"

    def ready(self) -> None:
        # Change requests become something playbooks run on; templates may speak of them.
        from retainops.changes.subject import register
        from retainops.changes.variables import CHANGE_VARIABLES
        from retainops.messaging.templating import register_variables

        register()
        register_variables("request", CHANGE_VARIABLES)
