"""Surveys as playbook steps: every subject type a playbook runs on (the client, a
program, a change request...) gains the step actions `send_nps_survey` and
`send_csat_survey`, so a step at a milestone (a week after go-live, after the 30-day
optimization meeting, quarterly, when a complaint is resolved) sends the survey to the
subject's client through the outbox when it is done (`on_done: send_nps_survey`)."""

import dataclasses
from collections.abc import Callable
from typing import Any

from retainops.playbooks.subjects import SUBJECT_TYPES, SubjectType, register_subject

SURVEY_ACTIONS = {"send_nps_survey": "nps", "send_csat_survey": "csat"}


def _action(subject_type: SubjectType, code: str) -> Callable[..., None]:
    def send(subject: Any, *, run: Any = None, by: Any = None) -> None:
        from retainops.voice.models import SurveyDefinition
        from retainops.voice.services import dispatch_survey

        definition = SurveyDefinition.objects.filter(code=code, is_active=True).first()
        if definition is None:
            return
        client = subject_type.client_of(subject)
        if not client.contacts.exclude(email="").exists():
            return
        cause = f"playbook run {run.pk}" if getattr(run, "pk", None) else "playbook step"
        dispatch_survey(definition=definition, client=client, by=by, cause=cause)

    return send


def add_survey_actions() -> None:
    """Give each registered subject type the survey step actions."""
    for subject_type in list(SUBJECT_TYPES.values()):
        extra = {name: _action(subject_type, code) for name, code in SURVEY_ACTIONS.items()}
        register_subject(
            dataclasses.replace(subject_type, actions={**subject_type.actions, **extra})
        )
