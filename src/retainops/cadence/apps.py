from django.apps import AppConfig


class CadenceConfig(AppConfig):
    name = "retainops.cadence"
    label = "cadence"
    verbose_name = "Contact plans"

    def ready(self) -> None:
        from retainops.cadence.services import (
            follow_client_status,
            follow_team_change,
            record_message_touchpoint,
        )
        from retainops.clients.events import ClientStatusChanged, TeamMemberAssigned
        from retainops.core.events import Phase, listen
        from retainops.messaging.events import MessageSent

        # In the client's transaction: the plan pauses or ends exactly when the client does.
        listen(ClientStatusChanged, follow_client_status)
        # A new account manager takes over the planned contacts still to come.
        listen(TeamMemberAssigned, follow_team_change)
        # After the delivery commits: recording a touchpoint never undoes or repeats a send.
        listen(MessageSent, record_message_touchpoint, phase=Phase.AFTER_COMMIT)
        _contribute()


def _contribute() -> None:
    """The worker sweeps occurrences; the client page shows the plan and its adherence."""
    from retainops.cadence import client_panels, sweep
    from retainops.clients.panels import register_panel
    from retainops.core.due_work import register_source

    register_source(sweep.SOURCE)
    for panel in client_panels.PANELS:
        register_panel(panel)
