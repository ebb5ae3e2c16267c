"""The words people read for a playbook's identifiers.

A run keeps its trigger (`change_request.submitted`), a task its step key
(`prepare_department`), a message the cause it was queued with (`playbook
change-approval: prepare_department`): they are data, which processes match on.
The pages show them through these functions: the trigger's label, the playbook's
name and the step's title, so no page speaks in keys.
"""

from typing import Any

from retainops.playbooks.choices import EventKind
from retainops.playbooks.definition import Definition
from retainops.playbooks.subjects import SUBJECT_TYPES


def trigger_words(subject_code: str, trigger: str) -> str:
    """How a run came to start: 'by hand', or the event's label
    ('when a change request is submitted')."""
    if trigger == "manual":
        return "by hand"
    kind = SUBJECT_TYPES.get(subject_code)
    label = kind.events.get(trigger) if kind else None
    return f"when {label}" if label else "on an event"


def anchor_words(anchor: str) -> str:
    """An anchor's name as a word ('go_live': 'Go live'). The subject types describe
    their anchors in sentences for authors; a timeline row needs the name."""
    return anchor.replace("_", " ").capitalize()


def step_title(definition: Definition, step_key: str) -> str:
    try:
        return definition.step(step_key).title
    except KeyError:
        return step_key.replace("_", " ").capitalize()


def run_started_summary(run: Any) -> str:
    name = run.definition.name
    return f"{name} started {trigger_words(run.subject_type, run.trigger)}"


def event_summary(event: Any) -> str:
    """A timeline event's words. Runs started and anchors moved are said from the run
    (rows written before the words were human said the trigger's and anchor's keys)."""
    run = event.run
    if run is None:
        return str(event.summary)
    if event.kind == EventKind.RUN_STARTED:
        return run_started_summary(run)
    if event.kind == EventKind.ANCHOR_MOVED:
        anchor, colon, rest = str(event.summary).partition(": ")
        if colon and (anchor in run.anchors or anchor in run.definition.anchors):
            return f"{anchor_words(anchor)}: {rest}"
    return str(event.summary)


def message_cause_words(message: Any) -> str | None:
    """`playbook <key>: <step>` as '<playbook name>: <step title>'."""
    run = message.run
    prefix = "playbook "
    if run is None or not message.cause.startswith(prefix):
        return None
    key, colon, step_key = message.cause.removeprefix(prefix).partition(": ")
    playbook = run.version.playbook
    if key == f"run {run.pk}":  # a step's survey: 'playbook run <id>'
        return playbook.name
    if key != playbook.key:
        return None
    if not colon:
        return playbook.name
    return f"{playbook.name}: {step_title(run.definition, step_key)}"
