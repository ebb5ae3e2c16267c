from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "retainops.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        from retainops.playbooks import search

        search.register()  # the header's search box finds this app's records
        from retainops.core.events import ProcessTrigger, listen
        from retainops.messaging.templating import register_variables
        from retainops.messaging.words import register_cause_words
        from retainops.playbooks.services import start_runs_for_event
        from retainops.playbooks.subjects import TASK_VARIABLES
        from retainops.playbooks.words import message_cause_words

        # Message templates may use the task and run a reminder is about.
        for root, schema in TASK_VARIABLES.items():
            register_variables(root, schema)
        # Processes start on events: a sale, a program sold, a request submitted.
        listen(ProcessTrigger, start_runs_for_event)
        # The outbox names a playbook's messages by its name and step title.
        register_cause_words(message_cause_words)
        _contribute()
        from retainops.core.saved_filters import FilterPage, register_filter_page

        register_filter_page(
            FilterPage("tasks", "Tasks", "playbooks:tasks", params=("scope", "due"))
        )


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
