"""Drops: planning with bad input refused, the gates and readiness, warnings, training
packs, forecast and staffing, actuals with MAPE and what they teach the profiles."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from retainops.drops import forecast, queries, services, sweep
from retainops.drops.choices import DropState, Gate
from retainops.drops.models import ActualInterval, Agent, Drop, DropActivity, ResponseProfile, Shift
from retainops.drops.tests.conftest import DROP_AT
from retainops.messaging.models import Message


def test_planning_a_drop_opens_its_five_gates_and_sets_warnings(plan):
    drop = plan()
    assert sorted(drop.gates.values_list("gate", flat=True)) == sorted(Gate.values)
    # Seven days ahead is now: only the warning two days before is still to come.
    assert list(drop.warnings.values_list("days_before", flat=True)) == [2]
    later = plan(drop_at=DROP_AT + timedelta(days=7))
    assert sorted(later.warnings.values_list("days_before", flat=True)) == [2, 7]
    assert DropActivity.objects.filter(drop=drop, what__startswith="planned").exists()


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("audience_size", {"audience_size": -5}),
        ("expected_response_rate", {"expected_response_rate": 1.5}),
        ("channel", {"channel": "carrier_pigeon"}),
        ("name", {"name": " "}),
    ],
)
def test_bad_drop_is_refused_naming_the_field_and_nothing_written(plan, field, overrides):
    with pytest.raises(ValidationError) as refused:
        plan(**overrides)
    assert field in refused.value.message_dict
    assert not Drop.objects.exists()


def test_another_units_account_manager_cannot_plan(plan, south_account_manager):
    with pytest.raises(PermissionDenied):
        plan(by=south_account_manager)


def test_ready_refused_while_a_gate_is_open(plan, account_manager):
    drop = plan()
    with pytest.raises(ValidationError) as refused:
        services.mark_ready(drop=drop, by=account_manager)
    assert "gates" in refused.value.message_dict
    drop.refresh_from_db()
    assert drop.state == DropState.PLANNED


def test_routing_passes_only_after_a_test_call(plan, account_manager):
    drop = plan()
    with pytest.raises(ValidationError, match="test call"):
        services.pass_gate(drop=drop, gate=Gate.ROUTING, by=account_manager)
    services.record_test_call(
        drop=drop, by=account_manager, note="menu option 3 reaches the offer queue"
    )
    gate = services.pass_gate(drop=drop, gate=Gate.ROUTING, by=account_manager)
    assert gate.passed_at is not None


def _pass_all(drop, by, roster_fn):
    roster_fn(2, DROP_AT)
    pack = services.publish_training_pack(
        program=drop.program, by=by, scripts="Hello", scenarios="", faqs="Q/A"
    )
    for agent in Agent.objects.all():
        services.acknowledge_pack(pack=pack, agent=agent, by=by)
    services.record_test_call(drop=drop, by=by)
    for gate in Gate.values:
        services.pass_gate(drop=drop, gate=gate, by=by)


def test_ready_once_every_gate_passed(plan, account_manager, roster):
    drop = plan()
    _pass_all(drop, account_manager, roster)
    drop = services.mark_ready(drop=drop, by=account_manager)
    assert drop.state == DropState.READY


def test_training_gate_names_agents_without_the_latest_pack(plan, account_manager, roster):
    drop = plan()
    roster(2, DROP_AT)
    pack = services.publish_training_pack(
        program=drop.program, by=account_manager, scripts="v1", scenarios="", faqs=""
    )
    services.acknowledge_pack(
        pack=pack, agent=Agent.objects.get(email="agent0@agency.example"), by=account_manager
    )
    services.acknowledge_pack(
        pack=pack, agent=Agent.objects.get(email="agent1@agency.example"), by=account_manager
    )
    services.publish_training_pack(
        program=drop.program, by=account_manager, scripts="v2", scenarios="", faqs=""
    )
    with pytest.raises(ValidationError, match="Agent 0 has not acknowledged v2"):
        services.pass_gate(drop=drop, gate=Gate.TRAINING, by=account_manager)


def test_override_needs_the_capability_and_a_reason_and_is_on_the_timeline(
    plan, account_manager, team_lead
):
    drop = plan()
    with pytest.raises(PermissionDenied):
        services.mark_ready(drop=drop, by=account_manager, override_reason="client insists")
    drop = services.mark_ready(
        drop=drop, by=team_lead, override_reason="client insists; FAQs come Monday"
    )
    assert drop.state == DropState.READY
    line = DropActivity.objects.get(drop=drop, what__startswith="marked ready by override")
    assert "client insists" in line.note and line.by == team_lead


def test_owner_and_team_lead_warned_as_the_date_nears_with_gates_open(
    plan, clock, account_manager, team_lead
):
    drop = plan()
    clock.move_to(DROP_AT - timedelta(days=2, minutes=-1))
    sweep.drain()
    message = Message.objects.get(cause__startswith=f"drop {drop.pk}")
    addresses = set(message.recipients.values_list("address", flat=True))
    assert addresses == {account_manager.email, team_lead.email}
    assert "Phone menu messaging" in message.body_text
    assert drop.warnings.filter(fired_at__isnull=False).count() == 1


def test_no_warning_once_every_gate_passed(plan, clock, account_manager, roster):
    drop = plan()
    _pass_all(drop, account_manager, roster)
    clock.move_to(DROP_AT - timedelta(days=1))
    sweep.drain()
    assert not Message.objects.filter(cause__startswith=f"drop {drop.pk}").exists()
    assert mail.outbox == []


def test_training_packs_are_versioned(program, account_manager):
    first = services.publish_training_pack(
        program=program, by=account_manager, scripts="a", scenarios="", faqs=""
    )
    second = services.publish_training_pack(
        program=program, by=account_manager, scripts="b", scenarios="", faqs=""
    )
    assert (first.version, second.version) == (1, 2)
    with pytest.raises(ValidationError):
        services.publish_training_pack(
            program=program, by=account_manager, scripts=" ", scenarios="", faqs=""
        )


def test_forecast_spreads_expected_responses_over_intervals(plan):
    plan(audience_size=10_000, expected_response_rate=0.05)
    week = forecast.week_staffing(DROP_AT - timedelta(days=1))
    total = sum(sum(i.contacts.values()) for i in week.intervals)
    # 500 responses; the mail profile keeps coming for 10 days, the week holds 6 of them.
    assert 400 < total < 500
    first = next(i for i in week.intervals if i.starts_at == DROP_AT)
    assert first.contacts["phone"] == pytest.approx(
        500
        * ResponseProfile.objects.get(channel="mail").phone
        * ResponseProfile.objects.get(channel="mail").shares()[0]
    )
    assert first.needed > 0


def test_a_week_with_no_drops_is_an_empty_forecast(db):
    week = forecast.week_staffing(DROP_AT)
    assert week.is_empty and all(i.needed == 0 for i in week.intervals)


def test_roster_gap_shows_where_the_shifts_fall_short(plan, roster):
    plan(channel="tv", audience_size=200_000, expected_response_rate=0.01)
    roster(3, DROP_AT, hours=1)
    week = forecast.week_staffing(DROP_AT - timedelta(hours=2))
    at_drop = next(i for i in week.intervals if i.starts_at == DROP_AT)
    assert at_drop.scheduled == 3
    assert at_drop.gap < 0
    assert week.short_intervals


def test_roster_import_names_bad_rows_and_writes_nothing(account_manager):
    text = (
        "name,email,starts_at,ends_at\n"
        "Ann,ann@agency.example,2026-12-01T08:00:00+00:00,2026-12-01T16:00:00+00:00\n"
        "Bob,bob@agency.example,2026-12-01T16:00:00+00:00,2026-12-01T08:00:00+00:00\n"
    )
    with pytest.raises(ValidationError) as refused:
        services.import_roster(by=account_manager, text=text)
    assert "row 3.ends_at" in refused.value.message_dict
    assert not Shift.objects.exists()


def _actuals_csv(rows):
    return "interval_start,answer_channel,contacts\n" + "\n".join(rows)


def test_actuals_give_mape_per_channel_and_response_rate(plan, account_manager):
    drop = plan(audience_size=10_000, expected_response_rate=0.05)
    t = DROP_AT
    services.import_actuals(
        drop=drop,
        by=account_manager,
        text=_actuals_csv(
            [
                f"{t.isoformat()},phone,4",
                f"{(t + timedelta(minutes=30)).isoformat()},phone,2",
                f"{t.isoformat()},chat,0",
            ]
        ),
    )
    result = queries.result_of(drop)
    profile = ResponseProfile.objects.get(channel="mail")
    assert result.actual_contacts == 6
    assert result.response_rate == pytest.approx(6 / 10_000)
    assert result.mape["chat"] is None  # no actual contact to divide by
    assert result.mape["phone"] is not None and result.mape["phone"] > 0
    assert profile.adjusted_from == 1


def test_bad_actuals_rows_are_named_and_nothing_written(plan, account_manager):
    drop = plan()
    text = _actuals_csv(
        [f"{DROP_AT.isoformat()},phone,3", f"{DROP_AT.isoformat()},fax,2", "yesterday,phone,-1"]
    )
    with pytest.raises(ValidationError) as refused:
        services.import_actuals(drop=drop, by=account_manager, text=text)
    errors = refused.value.message_dict
    assert {"row 3.answer_channel", "row 4.interval_start", "row 4.contacts"} <= set(errors)
    assert not ActualInterval.objects.exists()
    assert ResponseProfile.objects.get(channel="mail").adjusted_from == 0


def test_fast_responses_shorten_the_default_half_life(plan, account_manager):
    drop = plan(channel="mail")
    before = ResponseProfile.objects.get(channel="mail").half_life_hours
    rows = [
        f"{(DROP_AT + timedelta(minutes=30 * i)).isoformat()},phone,{100 // (i + 1)}"
        for i in range(6)
    ]
    services.import_actuals(drop=drop, by=account_manager, text=_actuals_csv(rows))
    assert ResponseProfile.objects.get(channel="mail").half_life_hours < before


def test_results_for_program_and_by_client(plan, account_manager, clock, program):
    drop = plan()
    services.record_outcome(
        drop=drop,
        by=account_manager,
        outcome=services.Outcome(conversions=40, sales=Decimal("3200.00"), customers_acquired=35),
    )
    assert queries.drop_results_for_program(program, since=DROP_AT - timedelta(days=30)) == []
    clock.move_to(DROP_AT + timedelta(days=3))
    [result] = queries.drop_results_for_program(program, since=DROP_AT - timedelta(days=30))
    assert (result.conversions, result.customers_acquired) == (40, 35)
    by_client = queries.drop_results_by_client(
        [program.client_id, 999], as_of=DROP_AT + timedelta(days=3)
    )
    assert [r.drop_id for r in by_client[program.client_id]] == [drop.pk]
    assert by_client[999] == []
    far = queries.drop_results_by_client([program.client_id], as_of=DROP_AT + timedelta(days=120))
    assert far[program.client_id] == []


def test_negative_outcome_is_refused(plan, account_manager):
    with pytest.raises(ValidationError) as refused:
        services.record_outcome(
            drop=plan(), by=account_manager, outcome=services.Outcome(-1, None, None)
        )
    assert "conversions" in refused.value.message_dict


def test_the_feedback_agenda_shows_how_the_last_drops_answered(plan, account_manager):
    from types import SimpleNamespace

    from retainops.voice.agenda import sections

    section = next(s for s in sections() if s.key == "drops")
    drop = plan(audience_size=10_000, expected_response_rate=0.05)
    series = SimpleNamespace(client_id=drop.program.client_id, program_id=None)
    before = SimpleNamespace(series=series, starts_at=DROP_AT - timedelta(days=1))
    assert section.build(before) is None  # nothing had gone out yet
    services.import_actuals(
        drop=drop, by=account_manager, text=_actuals_csv([f"{DROP_AT.isoformat()},phone,4"])
    )
    after = SimpleNamespace(series=series, starts_at=DROP_AT + timedelta(days=7))
    built = section.build(after)
    assert built is not None
    assert [(row["name"], row["actual_contacts"]) for row in built["drops"]] == [(drop.name, 4)]
