"""Loading a playbook: a good definition parses; each kind of mistake is refused naming
the step and the problem, and nothing is stored."""

from datetime import timedelta

import pytest

from retainops.core.models import Team
from retainops.playbooks.definition import (
    DefinitionInvalid,
    DueRule,
    Problem,
    parse_definition,
    parse_duration,
)
from retainops.playbooks.models import Playbook

from .conftest import LIBRARY

GOOD = """
key: renewal-call
name: Renewal call
anchors: [renewal]
steps:
  - key: prepare
    title: Prepare the renewal figures
    owner: role:account_manager
    due: 14 days before renewal
  - key: call
    title: Renewal call with the client
    owner: role:client_success_manager
    needs: [prepare]
    due: 2 days after prepare
    when: mrr > 1000 and 'seo' in services
    remind: ["1 day", {before: "2 hours", to: "role:team_lead"}]
    escalate:
      - after: 4 hours
        to: role:team_lead
        reassign: true
"""


def problems_of(source: str) -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as refused:
        parse_definition(source)
    return refused.value.problems


def with_step(extra: str) -> str:
    """GOOD with one more step (indented as a list item of steps)."""
    return GOOD + extra


@pytest.mark.django_db
def test_the_shipped_handoff_parses_with_its_steps_in_order():
    definition = parse_definition((LIBRARY / "sales-handoff.yaml").read_text())

    assert definition.key == "sales-handoff"
    assert definition.trigger == "client.sold"
    assert [s.key for s in definition.steps] == [
        "handoff_notes",
        "first_contact",
        "tell_sales",
        "week_one_check_in",
    ]
    first_contact = definition.step("first_contact")
    assert first_contact.due_rule == DueRule(offset=timedelta(hours=24), ref="sold")
    assert [r.before for r in first_contact.remind] == ["4 hours"]
    assert first_contact.escalate[0].to == "role:team_lead"


@pytest.mark.django_db
def test_a_good_definition_keeps_its_reminders_escalations_and_condition():
    definition = parse_definition(GOOD)

    call = definition.step("call")
    assert call.due_rule == DueRule(offset=timedelta(days=2), ref="prepare")
    assert [(r.before, r.to) for r in call.remind] == [
        ("1 day", "owner"),
        ("2 hours", "role:team_lead"),
    ]
    assert call.escalate[0].reassign is True
    assert definition.step("prepare").due_rule == DueRule(timedelta(days=-14), "renewal")


@pytest.mark.django_db
def test_a_dependency_cycle_is_refused_naming_the_steps():
    source = GOOD.replace(
        "    due: 14 days before renewal", "    due: 14 days before renewal\n    needs: [call]"
    )

    [problem] = problems_of(source)

    assert problem.field == "needs"
    assert "dependency cycle" in problem.message
    assert "prepare -> call -> prepare" in problem.message


@pytest.mark.django_db
def test_a_cycle_through_a_due_time_is_refused_too():
    source = GOOD.replace("14 days before renewal", "1 day after call")

    messages = [p.message for p in problems_of(source)]

    assert any("dependency cycle" in m and "call" in m for m in messages)


@pytest.mark.django_db
def test_a_step_due_after_a_step_it_does_not_need_is_refused_naming_both():
    # 'follow_up' opens at once (it needs nothing), when the call has no time yet.
    source = with_step(
        """
  - key: follow_up
    title: Follow-up e-mail
    owner: role:account_manager
    due: 1 day after call
"""
    )

    [problem] = problems_of(source)

    assert (problem.step, problem.field) == ("follow_up", "due")
    assert "'call', which it does not need" in problem.message


@pytest.mark.django_db
def test_a_step_due_after_a_step_its_needs_wait_for_is_accepted():
    definition = parse_definition(
        with_step(
            """
  - key: follow_up
    title: Follow-up e-mail
    owner: role:account_manager
    needs: [call]
    due: 3 days after prepare
"""
        )
    )

    assert definition.step("follow_up").due_rule == DueRule(offset=timedelta(days=3), ref="prepare")


@pytest.mark.django_db
def test_an_unknown_role_team_or_user_as_owner_is_refused_naming_the_step():
    Team.objects.create(name="Creative studio")
    source = with_step(
        """
  - key: a
    title: A
    owner: role:astronaut
  - key: b
    title: B
    owner: team:Nobody here
  - key: c
    title: C
    owner: user:ghost
  - key: d
    title: D
    owner: team:Creative studio
  - key: e
    title: E
    owner: someone
"""
    )

    found = {(p.step, p.message) for p in problems_of(source)}

    assert found == {
        ("a", "unknown role 'astronaut'"),
        ("b", "unknown team 'Nobody here'"),
        ("c", "unknown user 'ghost'"),
        ("e", "owner 'someone' is not role:<code>, team:<name> or user:<username>"),
    }


@pytest.mark.django_db
def test_an_unknown_anchor_is_refused_naming_the_step():
    [problem] = problems_of(GOOD.replace("14 days before renewal", "3 days after go_live"))

    assert (problem.step, problem.field) == ("prepare", "due")
    assert "unknown anchor 'go_live'" in problem.message


@pytest.mark.django_db
def test_an_unknown_field_in_a_step_is_refused_naming_it():
    source = GOOD.replace("    title: Prepare", "    colour: red\n    title: Prepare")

    [problem] = problems_of(source)

    assert (problem.step, problem.field, problem.message) == (
        "prepare",
        "colour",
        "unknown field 'colour'",
    )


@pytest.mark.django_db
def test_a_condition_that_does_not_parse_is_refused():
    [problem] = problems_of(GOOD.replace("mrr > 1000 and 'seo' in services", "mrr > (1000"))

    assert (problem.step, problem.field) == ("call", "when")
    assert "does not parse" in problem.message


@pytest.mark.django_db
def test_a_condition_reading_an_unknown_field_is_refused():
    [problem] = problems_of(GOOD.replace("mrr > 1000", "credit_amount > 0"))

    assert problem.step == "call"
    assert problem.message == "unknown field 'credit_amount' in the condition"


@pytest.mark.django_db
def test_a_condition_cannot_reach_python():
    source = GOOD.replace("mrr > 1000 and 'seo' in services", "__import__('os').getcwd()")

    problems = problems_of(source)

    assert all(p.step == "call" and p.field == "when" for p in problems)
    assert problems


@pytest.mark.django_db
def test_a_bad_due_time_or_duration_is_refused():
    source = GOOD.replace("14 days before renewal", "soon").replace('"1 day"', '"a while"')

    found = {(p.step, p.field) for p in problems_of(source)}

    assert found == {("prepare", "due"), ("call", "remind")}


@pytest.mark.django_db
def test_each_kind_must_have_what_it_needs():
    source = with_step(
        """
  - key: tell
    title: Tell someone
    kind: message
  - key: meet
    title: Meet
    kind: meeting
    owner: role:account_manager
  - key: pause
    title: Pause a while
    kind: wait
  - key: send_unknown
    title: Send with an unknown template
    kind: message
    template: nothing-like-it
    to: [list:no-such-list]
"""
    )

    found = {(p.step, p.field) for p in problems_of(source)}

    assert found == {
        ("tell", "template"),
        ("tell", "to"),
        ("meet", "attendees"),
        ("meet", "due"),
        ("pause", "due"),
        ("send_unknown", "template"),
        ("send_unknown", "to"),
    }


@pytest.mark.django_db
def test_duplicate_keys_unknown_needs_subject_and_trigger_are_refused():
    source = (
        GOOD.replace("key: call", "key: prepare")
        .replace("needs: [prepare]", "needs: [preparation]")
        .replace("anchors: [renewal]", "anchors: [renewal]\nsubject: planet\n")
    )

    messages = {p.message for p in problems_of(source)}

    assert "two steps have this key" in messages
    assert "needs unknown step 'preparation'" in messages
    assert any(m.startswith("unknown subject 'planet'") for m in messages)
    trigger = problems_of(GOOD.replace("anchors:", "trigger: client.exploded\nanchors:"))
    assert trigger[0].message.startswith("unknown trigger 'client.exploded'")


@pytest.mark.django_db
def test_yaml_that_does_not_parse_names_the_line():
    [problem] = problems_of("key: x\nname: [unclosed\nsteps: []\n")

    assert problem.step is None
    assert problem.message.startswith("the YAML does not parse at line")


@pytest.mark.django_db
def test_a_refused_definition_stores_nothing(publish):
    with pytest.raises(DefinitionInvalid):
        publish(GOOD.replace("role:account_manager", "role:astronaut"))

    assert not Playbook.objects.exists()


def test_durations_and_due_rules_read_as_written():
    assert parse_duration("30 minutes") == timedelta(minutes=30)
    assert parse_duration("1 week") == timedelta(days=7)
    assert DueRule.parse("at go_live") == DueRule(timedelta(0), "go_live")
    assert DueRule.parse("2  Days  BEFORE  renewal") == DueRule(timedelta(days=-2), "renewal")
    with pytest.raises(ValueError):
        parse_duration("-3 hours")
    with pytest.raises(ValueError):
        DueRule.parse("tomorrow")


def test_a_join_step_needs_what_it_joins_and_takes_nothing_of_its_own(db: None):
    from retainops.playbooks.definition import DefinitionInvalid
    from retainops.playbooks.services import validate_playbook

    text = """
key: joined
name: Joined
subject: client
trigger: manual
steps:
  - key: a
    title: A
    owner: role:account_manager
  - key: together
    title: Together
    kind: join
    owner: role:account_manager
    due: 1 day after a
    needs: []
"""
    with pytest.raises(DefinitionInvalid) as refused:
        validate_playbook(source=text)
    messages = {(p.field, p.message) for p in refused.value.problems}
    assert ("needs", "a join step names the steps it waits for ('needs')") in messages
    assert ("owner", "a join step takes no 'owner': it is done at once") in messages
    assert ("due", "a join step takes no 'due': it is done at once") in messages
