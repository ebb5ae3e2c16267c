from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "retainops.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        from retainops.core.events import ProcessTrigger, listen
        from retainops.messaging.templating import register_variables
        from retainops.playbooks.services import start_runs_for_event
        from retainops.playbooks.subjects import TASK_VARIABLES

        # Message templates may use the task and run a reminder is about.
        for root, schema in TASK_VARIABLES.items():
            register_variables(root, schema)
        # Processes start on events: a sale, a program sold, a request submitted.
        listen(ProcessTrigger, start_runs_for_event)
