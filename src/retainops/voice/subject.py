"""Surveys as playbook steps: every subject type a playbook runs on (the client, a
program, a change request...) gains a step action `send_<code>_survey` for every active
survey definition, the standard ones (`send_nps_survey`, `send_csat_survey`) and custom
ones alike (`send_go-live-check_survey` for the definition coded `go-live-check`). A step
at a milestone (a week after go-live, after the 30-day optimization meeting, quarterly,
when a complaint is resolved) sends the survey to the subject's client's contacts through
the outbox when it is done (`on_done: send_nps_survey`)."""

import dataclasses
from collections.abc import Callable
from typing import Any

from retainops.playbooks.subjects import SUBJECT_TYPES, SubjectType, register_subject

PREFIX, SUFFIX = "send_", "_survey"
# Known without reading the database (a definition is checked without one).
STANDARD = ("nps", "csat")


def survey_action_name(code: str) -> str:
    return f"{PREFIX}{code}{SUFFIX}"


def _code_of(name: str) -> str | None:
    if name.startswith(PREFIX) and name.endswith(SUFFIX) and len(name) > len(PREFIX + SUFFIX):
        return name[len(PREFIX) : -len(SUFFIX)]
    return None


def _action(subject_type: SubjectType, code: str) -> Callable[..., None]:
    def send(subject: Any, *, run: Any = None, by: Any = None) -> None:
        from retainops.voice.models import SurveyDefinition
        from retainops.voice.services import dispatch_survey

        definition = SurveyDefinition.objects.filter(code=code, is_active=True).first()
        if definition is None or definition.current_version() is None:
            return  # withdrawn since the playbook was published: nothing to send
        client = subject_type.client_of(subject)
        if not client.contacts.exclude(email="").exists():
            return
        cause = f"playbook run {run.pk}" if getattr(run, "pk", None) else "playbook step"
        dispatch_survey(
            definition=definition,
            client=client,
            by=by,
            cause=cause,
            about=(subject_type.code, subject.pk),
        )

    return send


class SurveyActions(dict[str, Callable[..., None]]):
    """A subject type's actions with one `send_<code>_survey` per active survey
    definition, looked up when a playbook is checked or a step is done (a definition
    added later needs no restart)."""

    def __init__(self, subject_type: SubjectType, base: dict[str, Callable[..., None]]):
        super().__init__(base)
        self.subject_type = subject_type
        for code in STANDARD:
            self[survey_action_name(code)] = _action(subject_type, code)

    def _survey_code(self, name: object) -> str | None:
        if not isinstance(name, str) or dict.__contains__(self, name):
            return None
        from retainops.voice.models import SurveyDefinition

        code = _code_of(name)
        if code and SurveyDefinition.objects.filter(code=code, is_active=True).exists():
            return code
        return None

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or self._survey_code(name) is not None

    def __missing__(self, name: str) -> Callable[..., None]:
        # A step published while its definition was active still runs once it is
        # withdrawn: the action then sends nothing.
        code = _code_of(name)
        if code is None:
            raise KeyError(name)
        return _action(self.subject_type, code)


def with_survey_actions(subject_type: SubjectType) -> SubjectType:
    """The subject type with the survey step actions added. An app above voice whose
    subject type registers after voice's start-up (a marketing drop) wraps it itself."""
    if isinstance(subject_type.actions, SurveyActions):
        return subject_type
    actions = SurveyActions(subject_type, dict(subject_type.actions))
    return dataclasses.replace(subject_type, actions=actions)


def add_survey_actions() -> None:
    """Give each subject type registered so far the survey step actions."""
    for subject_type in list(SUBJECT_TYPES.values()):
        register_subject(with_survey_actions(subject_type))
