from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "retainops.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        from retainops.core.events import listen
        from retainops.messaging.templating import register_variables
        from retainops.playbooks.subjects import TASK_VARIABLES

        # Message templates may use the task and run a reminder is about.
        for root, schema in TASK_VARIABLES.items():
            register_variables(root, schema)
        listen(_start_on_event)


def _start_on_event(
    *, event: str, subject_type: str, subject: object, by: object, anchors: dict
) -> None:
    from retainops.playbooks.services import start_runs_for_event

    start_runs_for_event(
        event=event, subject_code=subject_type, subject=subject, by=by, anchors=anchors
    )
