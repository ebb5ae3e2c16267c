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
        _contribute()


def _contribute() -> None:
    """The worker fires timers, the navigation counts My work, the client page shows
    the client's processes and timeline."""
    from retainops.clients.panels import register_panel
    from retainops.core.due_work import register_source
    from retainops.core.navigation import register_badge
    from retainops.playbooks import client_panels, due
    from retainops.playbooks.queries import work_counts

    register_source(due.SOURCE)
    register_badge("my_work", work_counts)
    for panel in client_panels.PANELS:
        register_panel(panel)


def _start_on_event(
    *, event: str, subject_type: str, subject: object, by: object, anchors: dict
) -> None:
    from retainops.playbooks.services import start_runs_for_event

    start_runs_for_event(
        event=event, subject_code=subject_type, subject=subject, by=by, anchors=anchors
    )
