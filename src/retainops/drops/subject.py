"""A drop as a playbook subject: a readiness playbook (trigger `drop.planned`) can run
its steps against the drop's dates and require its gates (`requires: [routing_tested]`)."""

from typing import Any

from retainops.drops.choices import Gate
from retainops.drops.models import Drop
from retainops.playbooks.subjects import Check, SubjectType, register_subject
from retainops.voice.subject import with_survey_actions


def _load(pk: int) -> Drop:
    return Drop.objects.select_related("program__client__business_unit", "owner").get(pk=pk)


def _values(drop: Drop) -> dict[str, Any]:
    return {
        "channel": drop.channel,
        "state": drop.state,
        "audience_size": drop.audience_size,
        "open_gates": sum(1 for g in drop.gates.all() if g.is_open),
    }


def _gate_check(gate: str) -> Check:
    return Check(
        Gate(gate).label, lambda d: [Gate(gate).label] if d.gates.get(gate=gate).is_open else []
    )


def register() -> None:
    # A step may send a survey about the drop (`on_done: send_csat_survey`).
    register_subject(
        with_survey_actions(
            SubjectType(
                code="drop",
                label="Marketing drop",
                load=_load,
                client_of=lambda drop: drop.program.client,
                values=_values,
                anchor_values=lambda drop: {"drop": drop.drop_at},
                requester=lambda drop: drop.owner,
                fields={
                    "channel": "mail, banner, tv, print, email_blast or outbound",
                    "state": "planned, ready, dropped or cancelled",
                    "audience_size": "how many people the drop reaches",
                    "open_gates": "how many readiness gates are still open",
                },
                anchors={"drop": "when the drop goes out", "readiness": "when its gates open"},
                events={"drop.planned": "a drop is put on the marketing calendar"},
                checks={f"{g}_passed": _gate_check(g) for g in Gate.values},
            )
        )
    )
