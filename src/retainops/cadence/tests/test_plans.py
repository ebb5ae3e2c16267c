"""Plan items: recurrences checked, occurrences written ahead, the owner's diary, edits
that change the future only, and the plan following the client's status."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from retainops.cadence import services
from retainops.cadence.choices import ItemState, OccurrenceState
from retainops.cadence.models import Occurrence, PlanItem, PlanTemplate
from retainops.cadence.sweep import sweep
from retainops.clients.services import change_client_status
from retainops.clients.testing import make_contract
from retainops.messaging.models import Meeting, MessageAttachment

pytestmark = pytest.mark.django_db

TUESDAYS = "FREQ=WEEKLY;BYDAY=TU"


def add_weekly(harbor, by, kind, rule=TUESDAYS):
    return services.add_plan_item(
        by=by,
        client=harbor,
        kind=kind,
        rrule=rule,
        starts_on=date(2026, 11, 24),
        owner_role="account_manager",
    )


@pytest.mark.parametrize(
    "rule", ["FREQ=SOMETIMES", "BYDAY=TU", "FREQ=WEEKLY;BYDAY=XX", "DTSTART:20260101T000000"]
)
def test_a_bad_recurrence_is_refused_naming_the_field_and_nothing_is_written(
    clock, harbor, account_manager, weekly_email, rule
):
    with pytest.raises(ValidationError) as refused:
        add_weekly(harbor, account_manager, weekly_email, rule)
    assert "rrule" in refused.value.message_dict
    assert not PlanItem.objects.exists() and not Occurrence.objects.exists()


def test_an_owner_that_names_no_role_is_refused(clock, harbor, account_manager, weekly_email):
    with pytest.raises(ValidationError) as refused:
        services.add_plan_item(
            by=account_manager,
            client=harbor,
            kind=weekly_email,
            rrule=TUESDAYS,
            starts_on=date(2026, 11, 24),
            owner_role="nobody_role",
        )
    assert "owner_role" in refused.value.message_dict


def test_a_service_agent_may_not_edit_the_plan(clock, harbor, service_agent, weekly_email):
    with pytest.raises(PermissionDenied):
        add_weekly(harbor, service_agent, weekly_email)


def test_weekly_occurrences_are_written_up_to_the_horizon_for_the_role_holder(
    clock, harbor, account_manager, weekly_email
):
    item = add_weekly(harbor, account_manager, weekly_email)
    occurrences = list(Occurrence.objects.filter(item=item))
    # Tuesday 24 Nov 10:00 is after 09:00 now; the horizon is 35 days: 5 Tuesdays.
    assert [o.due_at.date() for o in occurrences] == [
        date(2026, 11, 24) + timedelta(weeks=i) for i in range(5)
    ]
    assert {o.assignee for o in occurrences} == {account_manager}
    assert item.channel == "email"
    first = occurrences[0]
    assert first.remind_at == first.due_at - timedelta(hours=24)


def test_the_owner_gets_one_recurring_invitation_with_the_rule(
    clock, harbor, account_manager, weekly_email
):
    item = add_weekly(harbor, account_manager, weekly_email)
    meeting = Meeting.objects.get(pk=item.meeting_id)
    assert meeting.recurrence == TUESDAYS
    assert meeting.organizer == account_manager
    ics = MessageAttachment.objects.get(message__cause=f"meeting {meeting.uid}").content
    assert b"RRULE:FREQ=WEEKLY;BYDAY=TU" in bytes(ics)


def test_the_sweep_writes_ahead_as_time_passes_and_adds_nothing_twice(
    clock, harbor, account_manager, weekly_email
):
    item = add_weekly(harbor, account_manager, weekly_email)
    clock.move_to("2026-12-10T09:00:00+00:00")
    sweep(now=timezone.now())
    sweep(now=timezone.now())
    dates = list(Occurrence.objects.filter(item=item).values_list("due_at", flat=True))
    assert len(dates) == len(set(dates)) == 8  # Tuesdays 24 Nov to 12 Jan: 35 days past 10 Dec


def test_editing_a_plan_changes_future_occurrences_only(
    clock, harbor, account_manager, weekly_email
):
    item = add_weekly(harbor, account_manager, weekly_email)
    first = Occurrence.objects.filter(item=item).first()
    assert first is not None
    clock.move_to("2026-11-24T11:00:00+00:00")
    services.complete_occurrence(by=account_manager, occurrence=first, notes="Sent the recap")
    services.update_plan_item(
        by=account_manager, item=item, changes={"rrule": "FREQ=WEEKLY;BYDAY=TH"}
    )
    kept = Occurrence.objects.get(pk=first.pk)
    assert kept.state == OccurrenceState.DONE and kept.revision == 1
    assert kept.touchpoint is not None and kept.touchpoint.notes == "Sent the recap"
    future = Occurrence.objects.filter(item=item, state=OccurrenceState.PLANNED)
    assert {o.due_at.weekday() for o in future} == {3}
    assert {o.revision for o in future} == {2}
    assert Meeting.objects.get(pk=item.meeting_id).recurrence == "FREQ=WEEKLY;BYDAY=TH"


def test_a_paused_client_pauses_its_plan_and_a_resumed_one_resumes_it(
    clock, harbor, account_manager, weekly_email
):
    item = add_weekly(harbor, account_manager, weekly_email)
    change_client_status(client=harbor, by=account_manager, transition_name="pause")
    item.refresh_from_db()
    assert item.state == ItemState.PAUSED
    assert not Occurrence.objects.filter(item=item, state=OccurrenceState.PLANNED).exists()
    assert Meeting.objects.get(pk=item.meeting_id).state == "cancelled"
    change_client_status(client=harbor, by=account_manager, transition_name="resume")
    item.refresh_from_db()
    assert item.state == ItemState.ACTIVE
    assert Occurrence.objects.filter(item=item, state=OccurrenceState.PLANNED).count() == 5


def test_a_cancelled_client_ends_its_plan(clock, harbor, account_manager, weekly_email):
    item = add_weekly(harbor, account_manager, weekly_email)
    change_client_status(client=harbor, by=account_manager, transition_name="give_notice")
    change_client_status(client=harbor, by=account_manager, transition_name="cancel")
    item.refresh_from_db()
    assert item.state == ItemState.ENDED
    sweep(now=timezone.now())
    assert not Occurrence.objects.filter(item=item).exists()


def test_a_template_is_chosen_by_service_line(clock, harbor, account_manager, administrator, call):
    make_contract(harbor, {"seo": "900.00"})
    seo = harbor.contracts.first().lines.first().service
    services.save_template(
        by=administrator, name="Everyone", items=[{"kind": call, "rrule": "FREQ=MONTHLY"}]
    )
    services.save_template(
        by=administrator,
        name="SEO clients",
        service_line=seo,
        priority=5,
        items=[{"kind": call, "rrule": "FREQ=WEEKLY;BYDAY=MO", "owner_role": "account_manager"}],
    )
    assert services.template_for(harbor) == PlanTemplate.objects.get(name="SEO clients")
    items = services.apply_template(by=account_manager, client=harbor)
    assert [i.rrule for i in items] == ["FREQ=WEEKLY;BYDAY=MO"]


def test_a_template_with_a_bad_item_is_refused_naming_it(clock, administrator, call):
    with pytest.raises(ValidationError) as refused:
        services.save_template(
            by=administrator, name="Broken", items=[{"kind": call, "rrule": "FREQ=NEVER"}]
        )
    assert "items[0].rrule" in refused.value.message_dict
    assert not PlanTemplate.objects.exists()


def test_a_new_account_manager_takes_over_the_contacts_still_to_come(
    clock, harbor, account_manager, colleague, weekly_email
):
    from retainops.clients.services import assign_team_member
    from retainops.core.models import Role

    item = add_weekly(harbor, account_manager, weekly_email)
    first = Occurrence.objects.filter(item=item).order_by("due_at")[0]
    clock.move_to("2026-11-24T12:00:00+00:00")  # the first is past now
    assign_team_member(
        client=harbor,
        by=account_manager,
        role=Role.objects.get(code="account_manager"),
        user=colleague,
    )
    owners = dict(Occurrence.objects.filter(item=item).values_list("pk", "assignee"))
    assert owners.pop(first.pk) == account_manager.pk
    assert set(owners.values()) == {colleague.pk}
