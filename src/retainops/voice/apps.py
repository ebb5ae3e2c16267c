from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "retainops.voice"
    label = "voice"
    verbose_name = "Voice of the customer"

    def ready(self) -> None:
        _contribute()


def _contribute() -> None:
    """The worker fires reminders and escalations; the themes read survey comments and
    observations; the client page shows the client's voice; the navigation counts my
    open follow-ups; the feedback agenda gets voice's own sections; playbook steps send
    surveys; observations go on the client's timeline."""
    from retainops.clients.panels import ClientPanel, register_panel
    from retainops.complaints.themes import register_text_source
    from retainops.core.due_work import register_source
    from retainops.core.navigation import register_badge
    from retainops.voice import agenda, theme_texts, timers
    from retainops.voice.client_panels import voice_panel
    from retainops.voice.queries import open_follow_ups_of

    register_source(timers.SOURCE)
    for source in theme_texts.SOURCES:
        register_text_source(source)
    register_badge("follow_ups", open_follow_ups_of)
    register_panel(ClientPanel("voice", 75, "voice/_client_panel.html", voice_panel))
    agenda.register_own_sections()
    from retainops.voice.subject import add_survey_actions

    add_survey_actions()
    from retainops.core.events import listen
    from retainops.voice.events import ObservationRecorded

    listen(ObservationRecorded, _observation_on_timeline)


def _observation_on_timeline(event: object) -> None:
    """An observation shows on the client's timeline with its category and sentiment (in
    the transaction that records it)."""
    from retainops.playbooks.choices import EventKind
    from retainops.playbooks.services import note_on_timeline

    observation = event.observation  # type: ignore[attr-defined]
    note_on_timeline(
        client=observation.client_id,
        kind=EventKind.OBSERVATION,
        summary=(
            f"{observation.get_category_display()}, {observation.get_sentiment_display().lower()}"
            f": {observation.text}"
        ),
        by=observation.recorded_by,
        at=observation.recorded_at,
    )
