"""A playbook step sends a survey when it is done: any definition, custom ones too, by
the action naming its code; the shipped onboarding playbook sends the NPS survey a week
after go-live."""

import pytest
import yaml

from retainops.messaging.models import Message
from retainops.playbooks import services as playbooks
from retainops.playbooks.definition import DefinitionInvalid, parse_definition
from retainops.playbooks.library import LIBRARY
from retainops.playbooks.models import Task
from retainops.voice import services
from retainops.voice.models import Survey, SurveyInvitation

pytestmark = pytest.mark.django_db

PULSE_CHECK = """
key: pulse-check
name: Pulse check
subject: client
steps:
  - key: call
    title: Call the client
    owner: role:account_manager
    on_done: send_go-live-pulse_survey
"""


@pytest.fixture
def pulse(administrator):
    return services.save_definition(
        by=administrator,
        code="go-live-pulse",
        name="Go-live pulse",
        kind="custom",
        questions=[
            {"key": "pace", "kind": "scale", "label": "How is the pace?", "min": 1, "max": 7},
            {"key": "best", "kind": "choice", "label": "Best part?", "choices": ["SEO", "Ads"]},
        ],
    )


def test_a_step_sends_a_custom_survey_to_the_clients_contacts_through_the_outbox(
    pulse, harbor, administrator, account_manager, clock
):
    playbook = playbooks.publish_playbook(by=administrator, source=PULSE_CHECK).playbook
    run = playbooks.start_run(by=administrator, playbook=playbook, subject_id=harbor.pk)
    assert not Survey.objects.exists()
    task = Task.objects.get(run=run, step_key="call")
    playbooks.complete_task(by=account_manager, task=task)
    survey = Survey.objects.get()
    assert (survey.version.definition, survey.client) == (pulse, harbor)
    assert survey.cause == f"playbook run {run.pk}"
    invited = SurveyInvitation.objects.filter(survey=survey)
    assert sorted(invited.values_list("email", flat=True)) == [
        "dana@harbor.example",
        "jane@harbor.example",
    ]
    queued = Message.objects.filter(client=harbor, recipients__address__in=["dana@harbor.example"])
    assert queued.count() == 1


def test_a_step_naming_no_active_survey_is_refused_when_published(administrator):
    with pytest.raises(DefinitionInvalid) as refused:
        playbooks.publish_playbook(by=administrator, source=PULSE_CHECK)
    assert "send_go-live-pulse_survey" in str(refused.value)


def test_the_shipped_onboarding_playbook_sends_the_nps_survey_a_week_after_go_live(
    administrator,
):
    source = (LIBRARY / "onboarding.yaml").read_text()
    [step] = [s for s in parse_definition(source).steps if s.on_done == "send_nps_survey"]
    assert (step.kind, step.due, step.needs) == ("wait", "7 days after go_live", ["set_live"])
    version = playbooks.publish_playbook(by=administrator, source=source)
    assert "nps_survey" in {s["key"] for s in yaml.safe_load(version.source)["steps"]}
